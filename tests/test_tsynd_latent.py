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
    return fit_tiny_cnn(x, y, hidden=32, steps=25), x, y


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
    config = VQVAEConfig(hidden=8, latent_dim=4, codebook_size=8, steps=3, batch_size=8)
    before = torch.get_rng_state()
    a = train_vqvae(x, 1, config, seed=5, progress=False)
    assert torch.equal(torch.get_rng_state(), before)
    b = train_vqvae(x, 1, config, seed=5, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
