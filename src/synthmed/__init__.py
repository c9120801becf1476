"""synthmed: a reproducible companion to three papers on synthetic training data for medical image classification."""

from synthmed._torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()  # before anything imports torchvision (medmnist, torch-fidelity, grad-cam do)

__version__ = "0.1.0"
