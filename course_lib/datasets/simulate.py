"""Simulate a COVID-19 vs control PBMC dataset as raw UMI counts.

The course cannot download the lab's 415 MB integrated object, so this module makes a
stand-in locally, deterministically (same seed, same counts), with the structure the
lessons rely on:

* 13 PBMC populations with canonical markers under their real gene symbols, organised in
  lineages so that T/NK subtypes differ less from each other than lineages do;
* continuous structure as in real PBMCs: differentiation paths joining naive and memory CD4
  T cells, naive and effector CD8 T cells, and classical and non-classical monocytes
  (intermediate cells fill the gap), and a maturation-like program inside every population
  (e.g. NK CD56bright to dim), so that a higher Leiden resolution finds more clusters;
* 8 samples (4 control, 4 COVID-19) with per-sample batch effects strong enough that an
  uncorrected PCA separates samples;
* COVID-19 samples with a shifted composition and an interferon-stimulated gene program;
* mitochondrial, ribosomal and hemoglobin genes, background genes, a few percent
  low-quality cells and doublets;
* the truth kept in ``obs["cell_type_truth"]`` for the validation chapters.
"""

from __future__ import annotations

from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import check_whole_number
from ..defaults import CONDITION_KEY, LINEAGE_KEY, SAMPLE_KEY, SEED, TRUTH_KEY

SAMPLES: dict[str, str] = {
    "ctrl_5": "ctrl",
    "ctrl_13": "ctrl",
    "ctrl_14": "ctrl",
    "ctrl_19": "ctrl",
    "covid_1": "covid",
    "covid_15": "covid",
    "covid_16": "covid",
    "covid_17": "covid",
}
"""Sample name → condition, as in the lab's dataset."""


@dataclass(frozen=True)
class CellType:
    """One simulated population: its lineage, markers and share of cells per condition."""

    name: str
    lineage: str
    markers: tuple[str, ...]
    share_ctrl: float
    share_covid: float
    size: float = 1.0  # relative RNA content (library size)


CELL_TYPES: tuple[CellType, ...] = (
    CellType("CD4 naive T", "T/NK", ("IL7R", "CCR7", "LEF1", "TCF7", "SELL"), 0.21, 0.12),
    CellType("CD4 memory T", "T/NK", ("IL7R", "S100A4", "ANXA1", "CD40LG", "AQP3"), 0.13, 0.09),
    CellType("Treg", "T/NK", ("FOXP3", "IL2RA", "CTLA4", "TIGIT"), 0.03, 0.02),
    CellType("CD8 naive T", "T/NK", ("CD8A", "CD8B", "CCR7", "LEF1", "NELL2"), 0.07, 0.04),
    CellType("CD8 effector T", "T/NK", ("CD8A", "CD8B", "GZMK", "GZMH", "CCL5"), 0.09, 0.07),
    CellType("NK", "T/NK", ("NKG7", "GNLY", "KLRD1", "PRF1", "GZMB", "FCGR3A"), 0.09, 0.07),
    CellType("B", "B", ("MS4A1", "CD79A", "CD79B", "BANK1", "CD19"), 0.10, 0.08),
    CellType("Plasmablast", "B", ("JCHAIN", "MZB1", "XBP1", "IGHG1", "TXNDC5"), 0.01, 0.05, 2.0),
    CellType("Classical monocyte", "Myeloid", ("CD14", "LYZ", "S100A8", "S100A9", "VCAN"),
             0.16, 0.30, 1.3),
    CellType("Non-classical monocyte", "Myeloid", ("FCGR3A", "MS4A7", "CDKN1C", "LST1"),
             0.05, 0.06, 1.3),
    CellType("cDC", "Myeloid", ("FCER1A", "CST3", "CD1C", "CLEC10A"), 0.02, 0.01, 1.3),
    CellType("pDC", "pDC", ("LILRA4", "CLEC4C", "PLD4", "IL3RA"), 0.01, 0.01, 1.2),
    CellType("Platelet", "Platelet", ("PPBP", "PF4", "GP9", "TUBB1"), 0.03, 0.08, 0.4),
)
"""The simulated populations. Shares per condition sum to 1."""

CELL_TYPES_LINEAGE = np.array([ct.lineage for ct in CELL_TYPES])

LINEAGE_MARKERS: dict[str, tuple[str, ...]] = {
    "T/NK": ("CD3E", "CD3D", "CD2", "CD247", "IL32"),
    "B": ("CD74", "HLA-DRA", "CD37"),
    "Myeloid": ("CST3", "TYROBP", "FCER1G", "HLA-DRA", "CD74", "AIF1"),
    "pDC": ("CD74", "HLA-DRA", "IRF8"),
    "Platelet": ("NRGN", "GNG11", "SPARC"),
}
"""Genes shared by a lineage (the T/NK genes are not expressed in NK cells; see below)."""

T_CELL_ONLY = ("CD3E", "CD3D")  # NK cells lack CD3
DOUBLET_LINEAGES = ("T/NK", "Myeloid")
"""The doublets kept: a T or NK cell with a myeloid cell, the commonest heterotypic pair in
PBMC data (the two most abundant lineages), so that they gather in clusters of their own."""
T_NK_MARKER_LFC = (2.0, 2.8)
"""Range of log-fold changes of T-cell subtype markers (lineage markers get 4.2)."""
SUBTYPE_PROGRAM_SD = 0.5
N_GRADIENTS = 3
"""Continuous within-population programs (activation-like), so clusters have spread."""
CD4_TYPES = ("CD4 naive T", "CD4 memory T", "Treg")
TRAJECTORIES = (
    ("CD4 naive T", "CD4 memory T"),
    ("CD8 naive T", "CD8 effector T"),
    ("Classical monocyte", "Non-classical monocyte"),
)
"""Differentiation paths: each cell of one end lies part of the way towards the other."""
TRAJECTORY_SPAN = 0.6
"""Largest share of the way a cell lies towards the other end (uniform from 0), so the
two ends' cells meet in the middle: a continuum, not two islands."""
STATE_PROGRAM_GENES = 80
STATE_PROGRAM_SD = 0.5
STATE_AMPLITUDE = 2.0
"""A maturation-like program per population: ``STATE_PROGRAM_GENES`` background genes with
log-fold changes of standard deviation ``STATE_PROGRAM_SD``, scaled by a per-cell score
uniform in ±``STATE_AMPLITUDE``; it stretches every population along a gradient."""

INTERFERON_GENES = (
    "ISG15", "IFI6", "IFI44L", "MX1", "OAS1", "IFIT1", "IFIT3", "LY6E", "IFI27", "RSAD2",
    "XAF1", "IRF7", "STAT1", "EPSTI1",
)
MT_GENES = tuple(
    f"MT-{g}" for g in ("ND1", "ND2", "CO1", "CO2", "ATP8", "ATP6", "CO3", "ND3", "ND4L",
                        "ND4", "ND5", "ND6", "CYB")
)
RIBO_GENES = tuple(f"RPL{i}" for i in range(3, 33)) + tuple(f"RPS{i}" for i in range(2, 28))
HB_GENES = ("HBA1", "HBA2", "HBB")


def _gene_names(n_background: int) -> list[str]:
    named: list[str] = []
    for group in (
        [m for ct in CELL_TYPES for m in ct.markers],
        [g for genes in LINEAGE_MARKERS.values() for g in genes],
        ["CD4"],
        INTERFERON_GENES,
        MT_GENES,
        RIBO_GENES,
        HB_GENES,
    ):
        for gene in group:
            if gene not in named:
                named.append(gene)
    width = len(str(n_background))
    return named + [f"GENE{i:0{width}d}" for i in range(1, n_background + 1)]


def _log_means(genes: list[str], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene baseline log-abundance and a (cell type × gene) log-fold-change matrix."""
    index = {g: i for i, g in enumerate(genes)}
    n_types, n_genes = len(CELL_TYPES), len(genes)
    baseline = rng.normal(-9.0, 1.3, n_genes)  # log fraction of a cell's UMIs
    for gene in MT_GENES:
        baseline[index[gene]] = -4.6
    for gene in RIBO_GENES:
        baseline[index[gene]] = rng.normal(-4.9, 0.4)
    for gene in HB_GENES:
        baseline[index[gene]] = -11.0
    specific = [index[m] for ct in CELL_TYPES for m in ct.markers]
    specific += [index[g] for genes in LINEAGE_MARKERS.values() for g in genes]
    specific += [index["CD4"]]
    baseline[specific] = rng.normal(-10.5, 0.4, len(specific))

    effects = np.zeros((n_types, n_genes))
    background = np.arange(n_genes)[np.char.startswith(np.array(genes), "GENE")]
    lineages = sorted({ct.lineage for ct in CELL_TYPES})
    # Lineage programs: many background genes with large fold changes.
    for lineage in lineages:
        program = rng.choice(background, min(120, background.size // 4), replace=False)
        shift = rng.normal(0.0, 1.3, program.size)
        for t, ct in enumerate(CELL_TYPES):
            if ct.lineage == lineage:
                effects[t, program] += shift
    # Subtype programs: few genes with small fold changes (subclustering finds these).
    for t, ct in enumerate(CELL_TYPES):
        program = rng.choice(background, min(25, background.size // 10), replace=False)
        spread = SUBTYPE_PROGRAM_SD if ct.lineage == "T/NK" else 0.6
        effects[t, program] += rng.normal(0.0, spread, program.size)
    # Canonical markers, with real symbols; T/NK subtype markers are weaker than lineage ones.
    for t, ct in enumerate(CELL_TYPES):
        for gene in LINEAGE_MARKERS[ct.lineage]:
            if ct.name == "NK" and gene in T_CELL_ONLY:
                continue
            effects[t, index[gene]] += 4.2
        low, high = T_NK_MARKER_LFC if ct.lineage == "T/NK" and ct.name != "NK" else (3.2, 4.2)
        for gene in ct.markers:
            effects[t, index[gene]] += rng.uniform(low, high)
        if ct.name in CD4_TYPES:
            effects[t, index["CD4"]] += 2.8
    return baseline, effects


def simulate_pbmc(
    *,
    n_cells: int = 8000,
    n_background_genes: int = 3800,
    seed: int = SEED,
    batch_strength: float = 0.2,
    interferon_strength: float = 2.0,
    low_quality_fraction: float = 0.05,
    doublet_fraction: float = 0.10,
) -> ad.AnnData:
    """Simulate raw UMI counts of PBMCs from 4 control and 4 COVID-19 samples.

    Parameters
    ----------
    n_cells
        Cells before quality control (about 6 % are removed by :func:`prepare_integrated`).
    n_background_genes
        Genes without a named role; they carry lineage and subtype programs and noise.
    seed
        Random seed: the same seed gives identical counts.
    batch_strength
        Standard deviation of the per-sample, per-gene log-fold change (the batch effect).
    interferon_strength
        Log-fold change of interferon-stimulated genes in COVID-19 samples.
    low_quality_fraction
        Share of damaged cells (high mitochondrial fraction, low counts). About half of
        them are bad enough to be removed by quality control.
    doublet_fraction
        Share of droplets holding two cells; those pairing a T or NK cell with a myeloid
        cell (:data:`DOUBLET_LINEAGES`, about a third of them) are kept as doublets.

    Returns
    -------
    A new :class:`~anndata.AnnData` with integer counts in ``X`` (CSR), ``obs`` columns
    ``sample``, ``type`` (``ctrl``/``covid``), ``cell_type_truth``, ``lineage_truth``, and
    ``var["gene_ids"]``.

    Examples
    --------
    >>> adata = simulate_pbmc(n_cells=500, n_background_genes=200, seed=1)
    >>> adata.obs["sample"].nunique()
    8
    """
    check_whole_number("n_background_genes", n_background_genes, minimum=50, example=3800)
    check_whole_number("n_cells", n_cells, minimum=2, example=8000)
    rng = np.random.default_rng(seed)  # each step below draws from it, in this order
    genes = _gene_names(n_background_genes)
    log_means = _log_means(genes, rng)
    sample_of_cell, type_of_cell = _cells(rng, n_cells)
    model = _Expression.draw(rng, genes, log_means, sample_of_cell, type_of_cell,
                             batch_strength, interferon_strength)  # fmt: skip
    profile = model.profile(type_of_cell, np.arange(n_cells))
    doublet = _add_doublets(rng, profile, model, type_of_cell, doublet_fraction)
    library, low_quality = _libraries(rng, profile, genes, type_of_cell, doublet,
                                      low_quality_fraction)  # fmt: skip
    mean = profile * library[:, None]
    dispersion = 0.15  # negative binomial: var = mu + dispersion * mu^2
    gamma = rng.gamma(1.0 / dispersion, dispersion, mean.shape)
    counts = rng.poisson(mean * gamma).astype(np.float32)
    obs = _obs(sample_of_cell, type_of_cell, doublet, low_quality)
    var = pd.DataFrame({"gene_ids": [f"SIM{i:05d}" for i in range(len(genes))]}, index=genes)
    return ad.AnnData(X=sp.csr_matrix(counts), obs=obs, var=var)


def _cells(rng: np.random.Generator, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's sample and cell type (samples of unequal size, shares jittered per sample)."""
    samples = list(SAMPLES)
    sample_weights = rng.uniform(0.8, 1.25, len(samples))
    sample_of_cell = rng.choice(len(samples), n_cells, p=sample_weights / sample_weights.sum())
    shares_ctrl = np.array([ct.share_ctrl for ct in CELL_TYPES])
    shares_covid = np.array([ct.share_covid for ct in CELL_TYPES])
    sample_jitter = rng.dirichlet(np.full(len(CELL_TYPES), 60.0), len(samples))
    type_of_cell = np.empty(n_cells, dtype=int)
    for s in range(len(samples)):
        cells = np.flatnonzero(sample_of_cell == s)
        base = shares_covid if SAMPLES[samples[s]] == "covid" else shares_ctrl
        p = base * sample_jitter[s]
        type_of_cell[cells] = rng.choice(len(CELL_TYPES), cells.size, p=p / p.sum())
    return sample_of_cell, type_of_cell


@dataclass
class _Expression:
    """What shapes a cell's expression profile: its type's means, its sample's batch effect,
    the interferon response in COVID-19 samples, gradients, trajectories and states."""

    baseline: np.ndarray
    effects: np.ndarray
    batch: np.ndarray
    sample_of_cell: np.ndarray
    covid: np.ndarray
    interferon: np.ndarray
    interferon_response: np.ndarray
    loadings: np.ndarray
    gradient_scores: np.ndarray
    toward: np.ndarray
    position: np.ndarray
    state_programs: np.ndarray
    state_score: np.ndarray

    @classmethod
    def draw(
        cls, rng: np.random.Generator, genes: list[str],
        log_means: tuple[np.ndarray, np.ndarray], sample_of_cell: np.ndarray,
        type_of_cell: np.ndarray, batch_strength: float, interferon_strength: float,
    ) -> _Expression:  # fmt: skip
        index = {g: i for i, g in enumerate(genes)}
        n_genes, n_cells = len(genes), sample_of_cell.size
        samples = list(SAMPLES)
        covid = np.array([SAMPLES[s] == "covid" for s in samples])[sample_of_cell]
        batch = rng.normal(0.0, batch_strength, (len(samples), n_genes))
        batch[:, [index[g] for g in MT_GENES]] *= 0.3
        interferon = np.zeros(n_genes)
        interferon[[index[g] for g in INTERFERON_GENES]] = interferon_strength
        interferon_response = np.array(
            [1.3 if ct.lineage in ("Myeloid", "pDC") else 0.8 for ct in CELL_TYPES]
        )

        background = np.flatnonzero(np.char.startswith(np.array(genes), "GENE"))
        loadings = np.zeros((N_GRADIENTS, n_genes))
        for g in range(N_GRADIENTS):
            program = rng.choice(background, min(60, background.size // 5), replace=False)
            loadings[g, program] = rng.normal(0.0, 0.45, program.size)
        gradient_scores = rng.normal(0.0, 1.0, (n_cells, N_GRADIENTS))
        gradient_scores[CELL_TYPES_LINEAGE[type_of_cell] == "T/NK"] *= 0.5

        names = [ct.name for ct in CELL_TYPES]
        toward = np.arange(len(CELL_TYPES))  # the other end of a type's path (itself if none)
        for start, end in TRAJECTORIES:
            toward[names.index(start)], toward[names.index(end)] = (names.index(end),
                                                                    names.index(start))  # fmt: skip
        position = rng.uniform(0.0, TRAJECTORY_SPAN, n_cells)
        position[toward[type_of_cell] == type_of_cell] = 0.0
        state_programs = np.zeros((len(CELL_TYPES), n_genes))
        for t in range(len(CELL_TYPES)):
            program = rng.choice(background, min(STATE_PROGRAM_GENES, background.size // 4),
                                 replace=False)
            state_programs[t, program] = rng.normal(0.0, STATE_PROGRAM_SD, program.size)
        state_score = rng.uniform(-STATE_AMPLITUDE, STATE_AMPLITUDE, n_cells)
        return cls(*log_means, batch, sample_of_cell, covid, interferon,
                   interferon_response, loadings, gradient_scores, toward, position,
                   state_programs, state_score)  # fmt: skip

    def profile(self, types: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Expression shares (rows sum to 1) of ``cells`` as cells of ``types``."""
        logit = self.baseline + self.effects[types] + self.batch[self.sample_of_cell[cells]]
        logit += self.position[cells][:, None] * (self.effects[self.toward[types]]
                                                  - self.effects[types])  # fmt: skip
        logit += self.state_score[cells][:, None] * self.state_programs[types]
        logit += self.gradient_scores[cells] @ self.loadings
        logit += np.outer(self.covid[cells] * self.interferon_response[types], self.interferon)
        logit -= logit.max(axis=1, keepdims=True)
        profile = np.exp(logit)
        return profile / profile.sum(axis=1, keepdims=True)


def _add_doublets(
    rng: np.random.Generator, profile: np.ndarray, model: _Expression, type_of_cell: np.ndarray,
    doublet_fraction: float,
) -> np.ndarray:  # fmt: skip
    """Mix a partner's profile into the droplets that hold a T/NK and a myeloid cell; return
    which droplets those are (``profile`` is changed in place)."""
    n_cells = type_of_cell.size
    shares_ctrl = np.array([ct.share_ctrl for ct in CELL_TYPES])
    doublet = rng.random(n_cells) < doublet_fraction
    partner = rng.choice(len(CELL_TYPES), n_cells, p=shares_ctrl / shares_ctrl.sum())
    pair = np.stack([CELL_TYPES_LINEAGE[type_of_cell], CELL_TYPES_LINEAGE[partner]])
    doublet &= ((pair == DOUBLET_LINEAGES[0]) | (pair == DOUBLET_LINEAGES[1])).all(axis=0)
    doublet &= pair[0] != pair[1]
    partner_profile = model.profile(partner[doublet], np.flatnonzero(doublet))
    profile[doublet] = 0.5 * (profile[doublet] + partner_profile)
    return doublet


def _libraries(
    rng: np.random.Generator, profile: np.ndarray, genes: list[str], type_of_cell: np.ndarray,
    doublet: np.ndarray, low_quality_fraction: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each droplet's library size (doublets 1.9 times larger) and which cells are damaged:
    a high mitochondrial share and a small library (``profile`` is changed in place)."""
    n_cells = type_of_cell.size
    size = np.array([ct.size for ct in CELL_TYPES])[type_of_cell]
    library = rng.lognormal(np.log(5000.0), 0.35, n_cells) * size
    library[doublet] *= 1.9
    low_quality = (rng.random(n_cells) < low_quality_fraction) & ~doublet
    mt_idx = [genes.index(g) for g in MT_GENES]
    mt_fraction = np.where(low_quality, rng.uniform(0.12, 0.45, n_cells), 0.0)
    mt_share = profile[:, mt_idx].sum(axis=1)
    profile[:, mt_idx] *= np.where(low_quality, mt_fraction / mt_share, 1.0)[:, None]
    profile[low_quality] /= profile[low_quality].sum(axis=1, keepdims=True)
    library[low_quality] *= rng.uniform(0.15, 0.5, low_quality.sum())
    return library, low_quality


def _obs(
    sample_of_cell: np.ndarray, type_of_cell: np.ndarray, doublet: np.ndarray,
    low_quality: np.ndarray,
) -> pd.DataFrame:  # fmt: skip
    """The cells' sample, condition and true identity (``doublet``, ``low quality`` too)."""
    samples = list(SAMPLES)
    truth = np.array([ct.name for ct in CELL_TYPES], dtype=object)[type_of_cell]
    truth[doublet] = "doublet"
    truth[low_quality] = "low quality"
    lineage = CELL_TYPES_LINEAGE[type_of_cell].astype(object)
    lineage[doublet] = "doublet"
    lineage[low_quality] = "low quality"
    sample_names = np.array(samples)[sample_of_cell]
    covid = np.array([SAMPLES[s] == "covid" for s in samples])[sample_of_cell]
    return pd.DataFrame(
        {
            SAMPLE_KEY: pd.Categorical(sample_names, categories=samples),
            CONDITION_KEY: pd.Categorical(
                np.where(covid, "covid", "ctrl"), categories=["ctrl", "covid"]
            ),
            TRUTH_KEY: pd.Categorical(
                truth, categories=[ct.name for ct in CELL_TYPES] + ["doublet", "low quality"]
            ),
            LINEAGE_KEY: pd.Categorical(lineage),
        },
        index=[f"cell{i:05d}-{s}" for i, s in enumerate(sample_names)],
    )

