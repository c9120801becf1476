"""Data: MedMNIST 2D datasets, stratified subsampling, NIH ChestX-ray with patient metadata."""

from synthmed.data.medmnist import (
    ChecksumError,
    DataUnavailableError,
    MedMNISTDataset,
    Split,
    available,
    load_medmnist,
    parse_name,
)
from synthmed.data.images import load_images
from synthmed.data.nih import NIHDataset, default_nih1000, load_nih
from synthmed.data.paths import data_root, medmnist_root, nih_root
from synthmed.data.subsample import stratified_indices, subsample

__all__ = [
    "ChecksumError", "DataUnavailableError", "MedMNISTDataset", "NIHDataset", "Split", "available", "data_root",
    "default_nih1000", "load_images", "load_medmnist", "load_nih", "medmnist_root", "nih_root", "parse_name",
    "stratified_indices", "subsample",
]
