"""Every threshold of the checks, with the measurements it was calibrated on.

Each constant is a plain number (or a ``(precision, recall)`` pair) whose docstring says
what it bounds and where the legitimate and the wrong answers landed when it was chosen.
The thresholds are calibrated, not guessed: ``tests/test_calibration.py`` recomputes the
scores of legitimate answers (other seeds, the other Leiden flavour, another ``n_init``) and
of wrong answers (uncorrected embedding, far resolutions, wrong ``k``, wrong linkage) with
``tests/exercise_calibration`` and asserts every threshold still sits between them. The
numbers below were measured on the course data (``course_lib.load_integrated()``, scanpy
1.11.5, igraph 1.0.0, leidenalg 0.12.0, scikit-learn 1.9.1).

The visible check and the grade use the same constant: a ✔ means the point. The grader
runs the same checks outside the student's kernel (:mod:`course_lib.grading.judge`).

Examples
--------
>>> from course_lib.checks import thresholds
>>> 0 < thresholds.LEIDEN_MIN_ARI[0.6] < 1
True
"""

from __future__ import annotations

LEIDEN_MIN_ARI = {0.6: 0.68, 1.0: 0.4}
"""Best ARI to the Harmony references at the asked resolution (seeds 0-2), by the
resolution an exercise asks for; a clustering must also have a cluster count inside
:data:`COUNT_RANGE`.

Calibration (tests/exercise_calibration/measured.csv: dataset seeds 0-2 built with 1 and
2 threads and seed 0 with OpenBLAS's SandyBridge kernels, 20 igraph and 5 leidenalg seeds,
cross-build scores included; neighbouring resolutions: 10 igraph and 3 leidenalg seeds on
the course data, 2 threads). At 0.6: legitimate answers score >= 0.747, margin 0.067;
the nearest wrong answer, Leiden at resolution 1.0, scores 0.525-0.623, margin 0.057;
resolution 2 <= 0.426, resolution 3 <= 0.316, the graph on the uncorrected ``X_pca``
<= 0.244. Resolution 0.4 scores 0.94, inside the seed-to-seed spread: accepted.
At 1.0 the partitions of neighbouring resolutions are not separable on this data (seed to
seed, resolution 1.0 scores 0.614-0.952; resolution 0.4 0.53, resolution 2 0.507-0.762),
so the question judges the embedding and the scale: the graph on ``X_pca`` scores
<= 0.229, margin 0.171; legitimate answers margin 0.214; resolutions 0.4-2 pass on every
build, resolution 3 (0.42-0.58) fails by its count. The grade judges the clustering, not
the recorded parameter; when a clustering fails, the recorded resolution names the
mistake."""

UNCORRECTED_MATCH_ARI = 0.3
"""A failing clustering is said to match the uncorrected PCA only if its ARI with Leiden on
the uncorrected PCA beats its ARI with the Harmony reference *and* reaches this value:
clusterings on the uncorrected PCA score 0.75-1.0 against it, random labels about 0 against
both (which one is higher is then chance, and naming the embedding would mislead)."""

KNN_MIN_OVERLAP = 0.9
"""Mean fraction of each cell's neighbours shared with the exact kNN on Harmony.

Calibration: graphs on Harmony with other seeds share 1.00 of the neighbours (exact search
below 8,192 cells); the graph on ``X_pca`` shares 0.21."""

KMEANS_MIN_NEAREST = 0.97
"""Share of cells that must be nearest their own cluster's centre in the Harmony embedding
(:func:`~course_lib.checks.scores.nearest_centre_share`): k-means ends only when every
cell is, so the measure does not depend on the seed or ``n_init``, which move k-means
partitions at ``k=10`` a lot (ARI 0.67-1.0 between seeds) and compactness with them.

Calibration (measured.csv: k=10, 20 seeds each with ``n_init`` 1 and 10, on 7 builds,
dataset seeds 0-2 x 1 and 2 threads and seed 0 with ``OPENBLAS_CORETYPE=SandyBridge``,
answers of one build scored on another included): legitimate answers 0.9987-1.000;
wrong: k-means on the UMAP or the uncorrected ``X_pca`` 0.689-0.937; k-means stopped
after 5 iterations (not converged, dataset seed 0) 0.975-0.992. Margins: 0.029 below the
legitimate answers (20 times their spread), 0.033 above the nearest wrong one."""

WARD_MIN_ARI = 0.8
"""ARI of ``ward_<k>`` to the Ward cut of the Harmony embedding.

Calibration (measured.csv, 7 builds, k=10): scipy and scikit-learn Ward give the same tree
(ARI 1.00); Ward on ``X_pca``, average, complete and single linkage score 0.313-0.719,
margin 0.081."""


INERTIA_RTOL = 0.1
"""Relative tolerance on each k-means inertia of the elbow curve.

Calibration (measured.csv, 7 builds; k = 2, 6, 10, 14, ``n_init=3`` reference): other
seeds with ``n_init`` 3 or 10 differ by <= 4.1 %; the curve on ``X_pca`` or shifted by one
step of the question's k (the inertia of k + 2 stored under k) by >= 27 %."""

HVG_MIN_OVERLAP = 0.9
"""Jaccard overlap of the subset's highly variable genes with those chosen
within the same cells (``n_top_genes=2000``, ``batch_key='sample'``).

Calibration (measured.csv, chapter 5's subset on 7 builds): the same call gives 1.00 (it
is deterministic); the genes chosen without ``batch_key`` or the full data's variable genes
0.48-0.65."""


SUBCLUSTER_MIN_ARI = 0.5
"""best ARI of the subclustering to Leiden references on a kNN graph of the
subset's own Harmony embedding (the student's ``tnk.obsm['X_pca_harmony']``).

Calibration (measured.csv, 7 builds; resolution 0.6, chapter 5's subset re-run as in
exercise 5, 5 seeds of each flavour): Leiden on the subset's own embedding is unstable,
legitimate answers score 0.569-0.883 against the seed 0-2 references, margin 0.069; the
full data's labels kept score 0.237-0.435 (0.24 on the course data's builds), margin
0.065; resolution 0.2 <= 0.221, the graph on the subset's uncorrected PCA <= 0.073. Leiden
on a graph of the full data's Harmony embedding scores 0.440-0.569, inside the legitimate
spread: the check fails it by the graph itself (built on the subset's own embedding), not
by labels, before the ARI is looked at. When the ARI fails, the recorded resolution names
the mistake."""


MAJORITY = 0.5
"""A cluster belongs to a lineage when more than this share of its cells do (the truth of
the course data): the cluster-choice questions (B cells in exercise 1, platelets in
exercise 3, the T/NK subset in exercise 5) must name exactly those clusters.

Calibration (measured.csv: Leiden 0.6, 10 igraph and 3 leidenalg seeds, Ward at 10, on 7
builds): the B clusters are 0.985-0.990 B cells (the B cluster and the plasmablasts, which
lack MS4A1), every other cluster 0.000; the platelet cluster >= 0.990 platelets, every
other <= 0.010; the T/NK clusters >= 0.928 T or NK cells, every other cluster <= 0.300
(<= 0.25 but on dataset seed 2 with 1 thread). Margins >= 0.2 on both sides. A precision
threshold would accept a small cluster of other cells (adding the 79-cell cluster to the B
clusters still gave 91 % B cells)."""


DOUBLET_MIN = (0.95, 0.9)
"""(precision, recall) of the clusters chosen as doublets, judged on the truth.

Precision: the fraction of doublets among the cells of the chosen clusters; recall: the
fraction of the cells of clusters made mostly (> 50 %) of doublets that were chosen.
Calibration (measured.csv; Leiden 0.6, 10 igraph and 3 leidenalg seeds on each of the 7
builds): the doublet clusters are 100 % doublets, so the right answer scores (1.00, 1.00)
on every build, margin 0.05; adding the smallest low-quality cluster gives precision
<= 0.881 (margin 0.069), any other flagged cluster less; leaving out a doublet cluster
recall 0.00."""


COUNT_RANGE = (0.6, 1.55)
"""Cluster counts accepted, as factors of the references' median count (rounded outwards).

Calibration (as :data:`LEIDEN_MIN_ARI`): the references' median count is 11-12 at
resolution 0.6 and 14-16 at 1.0 depending on the build, so the range at 1.0 is 8-22 to
8-25. A given answer's count is the same on every machine: legitimate answers have 9-12
clusters at 0.6 and 11-17 at 1.0 (inside every build's range by >= 3), resolution 2 has
18-21 (accepted at 1.0 on every build, margin >= 1), resolution 3 has 26-29 (rejected on
every build, margin >= 1), the graph on ``X_pca`` 24-34 (rejected by its ARI)."""

SILHOUETTE_ATOL = 0.025
"""Largest absolute difference allowed between a student's mean silhouette width and that
of their own clustering on the Harmony embedding (the course's 3,000-cell sample, seed 0),
at any of the resolutions 0.4, 0.6, 1.0, 1.4.

Calibration (measured.csv: 7 builds, Leiden seeds 3-4 of both flavours, answers of one build
scored on another included; the values are 0.15-0.19): the course's sample itself differs
only by float rounding; other 3,000-cell samples (seeds 1-20, as
``sklearn.metrics.silhouette_score`` with ``sample_size=3000`` would draw) by <= 0.0141, all
cells by <= 0.0113 (accepted: margin 0.011); the same cells measured in the uncorrected
``X_pca`` by >= 0.0364 (margin 0.0114), in the UMAP by >= 0.34. Swapping 0.6, 1.0 and 1.4 is
not separable (their silhouettes differ by < 0.004) and not named."""

STABILITY_MARGIN = 0.17
"""How much more stable (mean best Jaccard under 10 subsamples of 80 %) the named cluster
may be than the least stable cluster, both measured by the check's own rerun of
:func:`course_lib.subsample_stability` on the student's clustering (Leiden 0.6), with the
subsample seed the student's run recorded (the default seed otherwise).

Calibration (measured.csv, 7 builds; the exercise's setup cell clusters with igraph,
seeds 0 and 3; subsample seeds 0-2): rerun on the same build the least stable cluster
scores exactly 0; an answer from another build (1 vs 2 threads, SandyBridge kernels)
scored here up to 0.108, margin 0.062. Wrong answers: the least stable of the clusters
found again nearly always (mean best Jaccard >= 0.95), the most stable and the smallest
cluster >= 0.237 (>= 0.247 across builds), margin 0.067. With the leidenalg flavour (not
what the setup cell runs) the clusters found again come within 0.098 of the least stable
one, so the question could not be judged on such a partition."""

COMPOSITION_P_LOG10 = 0.03
"""largest distance on a log10 scale between a student's p-value and the
exact two-sided rank test or propeller on the samples' shares (0.03 is a factor of 1.07).

Calibration (measured.csv: the B cluster, MS4A1, of Leiden 0.6 seeds 0, 3 and 4, both
flavours, 7 builds): the exact rank test and propeller themselves 0, the rank test
rounded to 3 significant digits 0.001, to 2 digits <= 0.017 (margin 0.013); wrong: a
one-sided rank test >= 0.207 on the course data (dataset seed 1, where the B cluster's
shares barely differ and both p-values are near 1, 0.0005: the same value, accepted), the
cell-level chi-square p >= 1.94. The normal approximation of the rank test
(0.007) is accepted, a test with the samples as replicates too. A Welch t-test on the
shares, also a sample-level test, lands 0.001-0.038 from propeller's p in these data and
is accepted where it does."""

SUBSET_PCA_MIN_SHARED = 0.8
"""Exercise 5: mean share
of each cell's 15 nearest neighbours in the student's ``tnk.obsm['X_pca']`` that are its
neighbours in the reference PCA of the same cells and genes (scaled, 30 components).

Calibration (chapter 5's subset of Leiden 0.6 igraph seed 0; dataset seed 0 built with 2 and
with 1 thread, dataset seeds 1 and 2): legitimate PCAs (``random_state`` 5, the
``covariance_eigh`` solver, all genes kept but the PCA restricted to the marked ones) share
>= 0.9999; not clipping at 10 0.948-0.959 (accepted); wrong: no scaling <= 0.32, all genes
<= 0.27, the genes ranked without ``batch_key`` (judged on the genes used, so it counts
only for question 2) 0.34, 20 components 0.51, the full data's PCA rows 0.24. The
``randomized`` solver shares only 0.42 (not accepted; it approximates the later
components)."""

SUBSET_HARMONY_MIN_SHARED = 0.5
"""Exercise 5: as :data:`SUBSET_PCA_MIN_SHARED`, for
``tnk.obsm['X_pca_harmony']`` against Harmony for the sample (seed 0) of the reference PCA.

Calibration (same runs): legitimate: Harmony seed 0, by ``course_lib.run_harmony`` or
``harmonypy.run_harmony`` directly, 1.00; other Harmony seeds (1, 2, 3, 7) 0.687-0.706, the
lowest legitimate values; no clipping 0.77-0.78 (accepted); wrong: Harmony for ``'type'``
0.18, 50 components 0.29-0.30 (named by the component count), no scaling 0.15, all genes
0.06, the uncorrected PCA 0.15, the full data's Harmony rows 0.08. scanpy's
``sc.external.pp.harmony_integrate`` fails with harmonypy 2.1 (it mis-reads the result)."""
