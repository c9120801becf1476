"""TSynD (Niemeijer et al.): uncertainty-targeted synthetic training data from an autoencoder's latent space.

Only the paper's own method lives here; models, the training loop, checkpoints, ``predict``, pixel ranges, caching,
the executor and the claims machinery come from the shared core. Modules, one idea each:

- :mod:`~synthmed.tsynd.classifiers`: the MC-dropout head on a :func:`synthmed.models.create` trunk (trunk once,
  head K times).
- :mod:`~synthmed.tsynd.uncertainty`: predictive entropy and BALD mutual information from K log-probabilities.
- :mod:`~synthmed.tsynd.autoencoder`: a VQ-VAE (``vector-quantize-pytorch``) trained on the full training split.
- :mod:`~synthmed.tsynd.latent`: latent noise and latent uncertainty ascent (the TSynD sample generator).
- :mod:`~synthmed.tsynd.training`: the Baseline / Noise / TSynD batch as a loss for :func:`synthmed.fit.fit`.
- :mod:`~synthmed.tsynd.robustness`: clean, Gaussian-noise and FGSM test conditions, and the test-noise sweep.
- :mod:`~synthmed.tsynd.experiment`: cached steps (VQ-VAE, training, scoring) and the runs of the chapter.
- :mod:`~synthmed.tsynd.report`: Table 1 grid, figures, claims (``claims.yaml``) and generated text.
- Table 2 and Fig. 2 have their own modules (``report_uncertainty``, ``explain``, ``fig2``, ...; see their docstrings).
"""
