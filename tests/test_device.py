"""synthmed.device: CUDA asked for where there is none is a clear error, never a silent CPU fall-back."""

import pytest
import torch

from synthmed.device import get_device


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


@pytest.fixture
def one_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)


def test_cuda_from_the_environment_without_cuda_is_an_error_naming_the_variable(no_cuda, monkeypatch):
    monkeypatch.setenv("SYNTHMED_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match=r"SYNTHMED_DEVICE='cuda' asks for a CUDA GPU, but torch .* sees none"):
        get_device()
    with pytest.raises(RuntimeError, match=r"device='cuda:1' asks for a CUDA GPU"):
        get_device("cuda:1")


def test_auto_and_cpu_choose_the_cpu_without_cuda(no_cuda, monkeypatch):
    monkeypatch.delenv("SYNTHMED_DEVICE", raising=False)
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("SYNTHMED_DEVICE", "CPU")
    assert get_device() == torch.device("cpu")
    assert get_device("auto") == torch.device("cpu")


def test_auto_chooses_cuda_when_there_is_one_and_a_missing_index_is_an_error(one_gpu, monkeypatch):
    monkeypatch.delenv("SYNTHMED_DEVICE", raising=False)
    assert get_device() == torch.device("cuda")
    assert get_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(RuntimeError, match=r"device='cuda:2', but torch sees 1 CUDA GPU\(s\) \(cuda:0 to cuda:0\)"):
        get_device("cuda:2")


def test_an_unknown_name_is_an_error_listing_the_choices(monkeypatch):
    monkeypatch.setenv("SYNTHMED_DEVICE", "gpu")
    with pytest.raises(ValueError, match=r"SYNTHMED_DEVICE='gpu' is not a device; use auto, cpu, cuda or cuda:N"):
        get_device()
