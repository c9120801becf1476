"""The GAN chapter's CPU-scale bundle (issue 33, item 6): its plan, one tiny replicate written with provenance and
resumed, and what the page makes of zero and of a few committed replicates."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from synthmed import bundle, claims
from synthmed.gan import cpu_scale, report

from conftest import copy_replicate, requires_data, tiny_replicate

ROOT = Path(__file__).resolve().parents[1]

# a smoke-sized replicate: BreastMNIST, two GANs, a few iterations (seconds on one core)
TINY = ["datasets=breastmnist", "gans=dcgan,sngan", "gan_iters=4", "gan_snapshots=2", "gan_width=8", "n_feat=30",
        "k=3", "simclr_steps=2", "supervised_epochs=1", "pop_size=8", "n_gen=2", "epochs=1", "max_oracle=2",
        "table4_sizes=2"]  # Table 4 is not in the bundle; its sizes must still fit the GANs


def _args(root, *argv):
    return bundle.parser().parse_args(["gan", "--root", str(root), *argv])


def test_the_dry_run_lists_the_replicates_in_order_with_distinct_keys(tmp_path, capsys):
    assert bundle.spec("gan") is cpu_scale.BUNDLE
    assert bundle.main(["gan", "--root", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = [line.strip() for line in out.splitlines() if line.startswith("   ")]
    assert listed == [cpu_scale.run_name(r, r) for r in cpu_scale.REPLICATES] and len(listed) >= 8
    assert f"0 of {len(listed)} runs already in {tmp_path}/results/cpu/gan" in out
    runs = cpu_scale.BUNDLE.plan(_args(tmp_path))
    assert len({r.key for r in runs}) == len(runs)
    assert [r.payload["seed"] for r in runs] == [r.fields["seed"] for r in runs] == cpu_scale.REPLICATES
    s = cpu_scale.settings()  # the CPU block: the paper's 7 x 5 space, the whole split, 2,000 search images
    assert len(s["gans"]) == 7 and s["gan_snapshots"] == 5 and s["n_train"] is None and s["n_feat"] == 2000
    assert s["gan_iters"] == cpu_scale.GAN_ITERS and set(cpu_scale.CPU) <= set(cpu_scale.CPU_SOURCES)
    other = cpu_scale.BUNDLE.plan(_args(tmp_path, "--set", "gan_iters=10", "--replicates", "0"))
    assert other[0].key != runs[0].key and other[0].name == runs[0].name  # a setting is in the key
    workers = cpu_scale.BUNDLE.plan(_args(tmp_path, "--set", "workers=2", "--replicates", "0"))
    assert workers[0].key == runs[0].key  # where it runs is not


@requires_data("medmnist/breastmnist.npz")
def test_a_tiny_replicate_is_written_with_provenance_and_skipped_the_next_time(tmp_path, cache_dir, capsys):
    rec = tiny_replicate("gan", tmp_path, TINY, capsys)
    prov = rec["provenance"]
    assert set(prov["steps"]) == {"gan_replicate"} and prov["settings"]["gan_iters"] == 4
    assert {"gan_zoo", "gan_downstream"} <= set(prov["seconds"])
    frames = cpu_scale.BUNDLE.frames(tmp_path)
    assert set(frames) == {"table3", "table3_members", "table6", "fig3", "front", "trunk"}
    trunk = frames["trunk"].iloc[0]  # Table 6's supervised trunk: how well it learned (issue 33 item 3)
    assert trunk["dataset"] == "breastmnist" and trunk["epochs_run"] == 1 and 0 <= trunk["balanced_accuracy"] <= 1
    t3 = frames["table3"]
    assert set(t3["seed"]) == {1} and set(t3["dataset"]) == {"breastmnist"}
    assert (frames["table3_members"]["strategy"] == "single_average").sum() == 4  # 2 GANs x 2 snapshots
    assert set(frames["table6"]["strategy"]) >= {"ours", "naive_all", "single_average"}
    verdicts, shown = report.cpu_section(tmp_path, t3)
    assert "1 replicate committed" in shown[0].data and len(shown) >= 4
    assert "Table 6's supervised trunk on validation" in shown[0].data
    acc, caption = report.cpu_accuracy_table(t3)
    assert {"breastmnist: balanced acc.", "breastmnist: accuracy", "breastmnist: constant"} == set(acc.columns)
    assert f"breastmnist {100 * t3['majority_rate'].iloc[0]:.1f}" in caption
    assert all(v.claim.paper == report.CPU_PAPER and v.claim.chapter == "gan_cpu" for v in verdicts)
    assert all(v.verdict == "not testable" or v.n <= 1 for v in verdicts)  # one replicate decides nothing
    copy_replicate("gan", tmp_path, rec, (2, 3))  # two more replicates: the replicate is the pair
    verdicts, shown = report.cpu_section(tmp_path, t3)
    assert "3 replicates committed" in shown[0].data and "seeds 1, 2, 3" in shown[0].data
    assert {v.n for v in verdicts if v.n} == {3} and {v.claim.paper for v in verdicts} == {report.CPU_PAPER}
    # every cell of these smoke-sized replicates is degenerate (constant predictors): no difference to draw
    assert not any(isinstance(s, Figure) for s in shown)


def test_the_committed_bundle_shows_each_replicates_difference_under_its_primary_claims(cache_dir):
    """On the replicates committed in ``results/cpu/gan`` (skipped where none is current under today's code): one
    dot per replicate and primary claim, the figure closed so that the page shows it once."""
    frames, status = cpu_scale.BUNDLE.judged(ROOT)
    n = int(status["current"].sum()) if len(status) else 0
    if n < 2:
        pytest.skip("fewer than two current replicates are committed")
    verdicts, shown = report.cpu_section(ROOT, pd.DataFrame())
    (fig,) = [s for s in shown if isinstance(s, Figure)]
    assert shown[shown.index(fig) + 1].data == claims.PAIRS_CAPTION.format(unit="replicate")
    assert not plt.fignum_exists(fig.number)
    primary = [v for v in verdicts if v.claim.primary and v.verdict != "not testable"]
    dots = [c for c in fig.axes[0].collections if c.get_gid() is None and len(c.get_offsets())]
    assert sum(len(c.get_offsets()) for c in dots) == sum(v.n for v in primary) and all(v.n == n for v in primary)


def test_with_no_replicate_committed_the_page_says_so_and_judges_nothing(tmp_path):
    verdicts, shown = report.cpu_section(tmp_path, pd.DataFrame())
    assert verdicts == [] and len(shown) == 1
    assert "No CPU-scale replicate is committed yet" in shown[0].data
    assert "scripts/bundle_worker.sh gan" in shown[0].data


def test_the_bundle_claims_are_their_own_family_linked_to_the_page():
    cs = report.cpu_claims()
    assert cs and all(c.id.endswith("-cpu") and c.paper == report.CPU_PAPER for c in cs)
    assert any(c.primary for c in cs) and all(c.section == f"gan_ensemble.html#claim-{c.id}" for c in cs)
    assert len({c.id for c in cs}) == len(cs)
