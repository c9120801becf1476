"""Table 3 of a quick GAN build (mean test g-mean x100 per strategy and dataset over its replicates), from the cache of
that build: python scripts/gan_table3.py SEED OUT.md (SEED: the replicate seed base the build ran with, -p seed)."""
import sys

from synthmed.device import get_device
from synthmed.gan import experiment as ex

seed, out = int(sys.argv[1]), sys.argv[2]
s = ex.settings("gan_ensemble", {"profile": "quick", "seed": seed})
res = ex.chapter(s, get_device())
t3 = ex.strategy_runs(res)
table = (100 * t3.groupby(["strategy", "dataset"])["g_mean"].mean()).unstack("dataset").round(1)
reps = sorted(t3["seed"].unique())
text = f"### Table 3, quick, replicate seeds {reps}\n\n" + table.to_markdown() + "\n"
open(out, "w").write(text)
print(text)
