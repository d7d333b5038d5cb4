import pytest

from moe_endpoint.settings import SettingsError, parse_settings


def test_needs_a_model_or_a_random_config(monkeypatch):
    monkeypatch.delenv("MOE_MODEL", raising=False)
    monkeypatch.delenv("MOE_RANDOM_INIT", raising=False)
    with pytest.raises(SettingsError, match="MOE_MODEL"):
        parse_settings([])


def test_refuses_to_listen_publicly_without_a_token(monkeypatch):
    monkeypatch.delenv("MOE_API_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="MOE_API_TOKEN"):
        parse_settings(["--random-init", "tiny-olmoe", "--host", "0.0.0.0"])
    monkeypatch.setenv("MOE_API_TOKEN", "s3cret")
    settings = parse_settings(["--random-init", "tiny-olmoe", "--host", "0.0.0.0"])
    assert settings.api_token == "s3cret"
    assert settings.model_name == "random:tiny-olmoe"


def test_reads_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOE_MODEL", "allenai/OLMoE-1B-7B-0924")
    monkeypatch.setenv("MOE_QUEUE_SIZE", "2")
    monkeypatch.setenv("MOE_MAX_NEW_TOKENS", "4")
    settings = parse_settings([])
    assert (settings.queue_size, settings.max_new_tokens) == (2, 4)
    monkeypatch.setenv("MOE_QUEUE_SIZE", "zero")
    with pytest.raises(SettingsError, match="MOE_QUEUE_SIZE must be a whole number"):
        parse_settings([])
