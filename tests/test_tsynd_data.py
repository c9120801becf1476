import pytest

from synthmed.data import available
from synthmed.reference import load
from synthmed.tsynd.report import class_shares, paper_constant_cells


@pytest.mark.data
def test_breastmnist_paper_cells_at_the_majority_rate():
    if available(["breastmnist"])["breastmnist"] != "ok":
        pytest.skip("breastmnist.npz not available under $SYNTHMED_DATA_ROOT")
    from synthmed.data import load_medmnist

    labels = load_medmnist("breastmnist", download=False).test.labels
    shares = class_shares(labels)
    assert len(labels) == 156 and round(shares.max(), 1) == 73.1  # 114 of 156 test images are one class
    cells = paper_constant_cells(load("tsynd_table1"), {"breastmnist": shares})
    # the paper's three BreastMNIST 10 % Gaussian-noise cells all equal the majority-class rate
    g = cells[(cells.test_condition == "gaussian") & (cells.fraction == 0.1)]
    assert sorted(g.method) == ["Baseline", "Noise", "TSynD"]
