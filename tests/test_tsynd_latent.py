import pytest
import torch

from synthmed.tsynd.autoencoder import VQVAE, encode_all
from synthmed.tsynd.uncertainty import log_probs, mutual_information
from synthmed.tsynd.latent import add_latent_noise, synthesize, uncertainty_ascent


@pytest.fixture(scope="module")
def trained(fit_tiny_cnn):
    torch.manual_seed(0)
    x = torch.rand(32, 1, 28, 28)
    y = (x[:, :, :14].mean((1, 2, 3)) > x[:, :, 14:].mean((1, 2, 3))).long()
    # 100 steps: after 25 some seeds' models still predict one class at ~0.94 for every input, and then no latent
    # move changes their (dropout-only) uncertainty
    return fit_tiny_cnn(x, y, hidden=32, steps=100), x, y


def test_latent_ascent_raises_mutual_information(trained):
    # decoder: pixel logits -> pixels, so the ascent acts on a latent the classifier is sensitive to
    model, x, _ = trained
    z = torch.logit(x[:16].clamp(0.01, 0.99))
    torch.manual_seed(1)
    z_star, trace = uncertainty_ascent(torch.sigmoid, model, z, steps=10, lr=0.1, k=20)
    assert trace.shape == (11, 16)
    assert z_star.shape == z.shape and not z_star.requires_grad
    assert all(p.grad is None for p in model.parameters())

    def mi(latent):  # a precise estimate: many masks, same seed for both
        torch.manual_seed(2)
        with torch.no_grad():
            return mutual_information(log_probs(model.mc_logits(torch.sigmoid(latent), 2000))).mean()

    assert mi(z_star) > 1.1 * mi(z)


def test_noise_scales_with_sigma_and_scale_and_is_seeded():
    z = torch.zeros(200, 4, 7, 7)
    a = add_latent_noise(z, 0.5, 2.0, torch.Generator().manual_seed(3))
    b = add_latent_noise(z, 0.5, 2.0, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert abs(float(a.std()) - 1.0) < 0.02
    assert add_latent_noise(z, 0.0) is z


def test_synthesize_decodes_valid_images(trained):
    model, x, y = trained
    vq = VQVAE(1, hidden=8, latent_dim=4, codebook_size=16).eval().requires_grad_(False)
    z = encode_all(vq, x[:8])
    imgs = synthesize(vq.decode, model, z, noise_sigma=0.5, steps=2, lr=0.1, scale=1.0, k=4,
                      generator=torch.Generator().manual_seed(0))
    assert imgs.shape == (8, 1, 28, 28) and imgs.min() >= 0 and imgs.max() <= 1


def test_vqvae_training_is_seeded_and_leaves_the_global_rng_alone():
    from synthmed.tsynd.autoencoder import VQVAEConfig, train_vqvae

    x = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    config = VQVAEConfig(hidden=8, latent_dim=4, codebook_size=8, steps=3, batch_size=8, lr=2e-3)
    before = torch.get_rng_state()
    a = train_vqvae(x, 1, config, seed=5, progress=False)
    assert torch.equal(torch.get_rng_state(), before)
    b = train_vqvae(x, 1, config, seed=5, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_random_move_has_the_ascents_length_and_is_seeded():
    from synthmed.tsynd.latent import displacement, random_like_move

    z0 = torch.randn(5, 4, 3, 3, generator=torch.Generator().manual_seed(0))
    scales = torch.arange(1., 6.)[:, None, None, None]
    z_star = z0 + torch.randn(5, 4, 3, 3, generator=torch.Generator().manual_seed(1)) * scales
    moved = random_like_move(z0, z_star, torch.Generator().manual_seed(2))
    assert torch.allclose(displacement(moved, z0), displacement(z_star, z0), atol=1e-5)
    assert torch.allclose(displacement(z_star, z0, scale=2.0), displacement(z_star, z0) / 2)
    assert torch.equal(moved, random_like_move(z0, z_star, torch.Generator().manual_seed(2)))
    cos = torch.nn.functional.cosine_similarity((moved - z0).flatten(1), (z_star - z0).flatten(1))
    assert cos.abs().max() < 0.9  # not the ascent's direction
    # hand-worked: RMS of a constant move of 0.3 per element is 0.3
    assert torch.allclose(displacement(z0 + 0.3, z0), torch.full((5,), 0.3))


def test_synthesize_records_the_move_and_replays_it_in_a_random_direction(trained):
    model, x, _ = trained
    z = torch.logit(x[:8].clamp(0.01, 0.99))
    rec_a, rec_r, rec_n = [], [], []
    kw = dict(noise_sigma=0.1, steps=5, lr=0.2, scale=1.0, k=20)
    torch.manual_seed(3)
    synthesize(torch.sigmoid, model, z, **kw, generator=torch.Generator().manual_seed(0), record=rec_a)
    (a,) = rec_a
    norms = torch.tensor(a["norms"])
    gen_r = torch.Generator().manual_seed(0)
    torch.manual_seed(3)
    synthesize(torch.sigmoid, model, z, **kw, generator=gen_r, direction="random", norms=norms, record=rec_r)
    (r,) = rec_r
    # the matched control's premise: the same per-image lengths, from the same noisy start, in another direction
    assert r["norms"] == pytest.approx(a["norms"], rel=1e-5)
    assert a["displacement"] == pytest.approx(r["displacement"], rel=1e-4)
    assert a["noise_rms"] == pytest.approx(r["noise_rms"]) and a["noise_rms"] == pytest.approx(0.1, rel=0.1)
    assert 0 < a["displacement"] <= 5 * 0.2 + 1e-6  # Adam moves an element by at most ~lr per step
    assert a["before"] == pytest.approx(r["before"], abs=2e-3)  # same start (dropout masks differ)
    assert a["after"] > a["before"] and a["after"] > a["after_random"]  # the ascent beats its random twin
    assert "after_random" not in r and a["pixel_rms"] > 0 and r["pixel_rms"] > 0
    # an ascent draws its twin's direction from the generator too, so both runs' generators stay in step
    gen_a = torch.Generator().manual_seed(0)
    synthesize(torch.sigmoid, model, z, **kw, generator=gen_a)
    assert torch.equal(gen_a.get_state(), gen_r.get_state())
    synthesize(torch.sigmoid, model, z, noise_sigma=0.1, steps=0, lr=0.0, scale=1.0, k=20,
               generator=torch.Generator().manual_seed(0), record=rec_n)
    assert rec_n[0]["move_rms"] == 0 and rec_n[0]["before"] == rec_n[0]["after"]
    with pytest.raises(ValueError, match="valid: none, ascent, random"):
        synthesize(torch.sigmoid, model, z, noise_sigma=0.0, steps=1, lr=0.1, scale=1.0, direction="up")
    with pytest.raises(ValueError, match="needs norms"):
        synthesize(torch.sigmoid, model, z, noise_sigma=0.0, steps=1, lr=0.1, scale=1.0, direction="random")
