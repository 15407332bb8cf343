"""K-means on a cell embedding, recorded in AnnData the way scanpy records Leiden."""

from __future__ import annotations

import anndata as ad
from scanpy import logging as logg
from sklearn.cluster import KMeans

from .._validation import check_n_clusters, check_whole_number, embedding
from ..defaults import HARMONY_KEY, N_INIT, SEED, kmeans_key
from ._labels import size_ordered_labels


def kmeans(
    adata: ad.AnnData,
    n_clusters: int,
    *,
    use_rep: str = HARMONY_KEY,
    n_init: int = N_INIT,
    random_state: int | None = SEED,
    key_added: str | None = None,
) -> None:
    """Cluster cells with k-means on an embedding (scikit-learn's :class:`~sklearn.cluster.KMeans`).

    K-means only finds a local optimum of its objective (the inertia, the sum of squared
    distances of cells to their cluster centre), which depends on the starting centres.
    It therefore runs ``n_init`` times from different k-means++ starts and keeps the run
    with the lowest inertia.

    Parameters
    ----------
    adata
        Data with an embedding in ``obsm``, e.g. from :func:`course_lib.load_integrated`.
    n_clusters
        Number of clusters *k*, at least 2 and at most the number of distinct cells.
    use_rep
        ``obsm`` key of the embedding to cluster (all of its dimensions are used).
    n_init
        Number of initialisations; the best (lowest inertia) run is kept.
    random_state
        Seed of the initialisations.
    key_added
        ``obs`` column and ``uns`` key for the result; default ``f"kmeans_{n_clusters}"``.

    Returns
    -------
    ``None``; sets ``adata.obs[key_added]`` (categorical, labels ``"0"`` … ``"k-1"`` by
    decreasing cluster size), ``adata.uns[key_added]["params"]`` (``n_clusters``,
    ``use_rep``, ``n_init``, ``random_state``) and ``adata.uns[key_added]["inertia"]``.

    Examples
    --------
    Three cells near the origin and two far away; the larger cluster is ``"0"``:

    >>> import anndata as ad, numpy as np
    >>> x = np.array([[10.0, 10.0], [0.0, 0.0], [0.0, 1.0], [10.0, 11.0], [1.0, 0.0]])
    >>> cells = ad.AnnData(obsm={"X_pca_harmony": x})
    >>> kmeans(cells, 2)
    >>> cells.obs["kmeans_2"].tolist()
    ['1', '0', '0', '1', '0']
    >>> cells.uns["kmeans_2"]["params"]["n_init"]
    10

    On the course dataset: ``course_lib.kmeans(adata, 10)`` sets ``obs["kmeans_10"]``.
    """
    x = embedding(adata, use_rep)
    k = check_n_clusters(n_clusters, x)
    n_init = check_whole_number("n_init", n_init, minimum=1, example=N_INIT)
    key = key_added or kmeans_key(k)
    start = logg.info(f"running k-means with k={k} on {use_rep!r}")
    model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(x)
    adata.obs[key] = size_ordered_labels(model.labels_)
    adata.uns[key] = {
        "params": {
            "n_clusters": k,
            "use_rep": use_rep,
            "n_init": n_init,
            "random_state": random_state,
        },
        "inertia": float(model.inertia_),
    }
    logg.info(
        "    finished",
        time=start,
        deep=f"added\n    {key!r}, the cluster labels (adata.obs, categorical)",
    )
