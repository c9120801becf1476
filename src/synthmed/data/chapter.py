"""The data chapter's record (:mod:`synthmed.chapters`): the files on this machine, shown before any paper."""

from __future__ import annotations

from synthmed.chapters import Chapter, Notebook

# The MedMNIST files the book can use when they are present (the paper datasets not here are reported as such).
LOCAL_MEDMNIST = ["breastmnist", "breastmnist_64", "pneumoniamnist", "retinamnist"]

_DATA_SOURCES = {
    "datasets": "ours: the MedMNIST files on this machine that the chapters use",
    "include_nih": "ours: NIH1000 and the first-visit selection shown when their files are present",
    "per_class": "ours: example images shown per class",
    "seed": "ours: which examples are drawn",
}

_DATA = {
    "smoke": {"datasets": ["breastmnist"], "include_nih": True, "per_class": 4, "seed": 0},
    "quick": {"datasets": LOCAL_MEDMNIST, "include_nih": True, "per_class": 8, "seed": 0},
    "paper": {"datasets": LOCAL_MEDMNIST, "include_nih": True, "per_class": 8, "seed": 0},
}

CHAPTER = Chapter(name="data", title="Data", position=0,
                  notebooks=(Notebook("data", _DATA, _DATA_SOURCES, not_modelled="trains nothing"),))
