"""Load a served tmeprog model once: registry URI -> version, pyfunc -> its scorer.

The model URI is resolved to one registry version first (so an alias moved meanwhile cannot
mix two models) and to a local folder (read in place for a local artifact store, nothing
written into it); the folder is loaded with ``mlflow.pyfunc.load_model``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tmeprog.errors import InputError
from tmeprog.serving.scorer import Scorer
from tmeprog.tracking.store import check_store_exists, use_store
from tmeprog.tracking.store import tracking_uri as resolve_uri

if TYPE_CHECKING:
    from mlflow.pyfunc import PyFuncModel

_ALIAS = re.compile(r"^models:/(?P<name>[^@/]+)@(?P<alias>[^/]+)$")
_VERSION = re.compile(r"^models:/(?P<name>[^@/]+)/(?P<version>\d+)$")


@dataclass
class ServedModel:
    """A loaded model: the URI as given, its registry version and the scorer inside.

    ``version`` is empty for URIs outside the registry (``runs:/...``, a folder). ``pyfunc``
    is the :class:`mlflow.pyfunc.PyFuncModel`.
    """

    uri: str
    version: str
    scorer: Scorer
    pyfunc: object

    @property
    def task(self) -> str:
        """``prognosis`` or ``response``."""
        return self.scorer.task


def _store_label(store: str) -> str:
    """The tracking-store URI without user credentials, for messages."""
    return re.sub(r"//[^/@]*@", "//", store)


def resolve_version(uri: str, store: str) -> str:
    """The registry version a ``models:/name@alias`` or ``models:/name/<n>`` URI points to.

    Returns ``""`` for other URIs. Raises :class:`InputError` when the registry holds no
    such model, alias or version.
    """
    # deferred here and below: mlflow takes ~1.7 s to load, and `tmeprog convert` imports
    # tmeprog.scoring without needing a model
    import mlflow
    from mlflow.exceptions import MlflowException  # deferred: as mlflow

    m = _ALIAS.match(uri) or _VERSION.match(uri)
    if m is None:
        return ""
    client = mlflow.MlflowClient()
    name = m["name"]
    where = f"in the tracking store {_store_label(store)}"
    try:
        reg = client.get_registered_model(name)
    except MlflowException:
        try:
            known = sorted(r.name for r in client.search_registered_models(max_results=50))
        except MlflowException:
            known = []
        listed = f" (registered models: {', '.join(known)})" if known else \
            " (it holds no registered model)"
        raise InputError(f"no model named {name!r} {where}{listed}; train one with "
                         "`tmeprog train` or point --tracking-uri at the right store") from None
    if m.re is _ALIAS:
        alias = m["alias"]
        try:
            return str(client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            aliases = ", ".join(f"@{a}" for a in sorted(reg.aliases)) or "none"
            raise InputError(f"no model {uri!r} {where}: model {name!r} has no alias "
                             f"{alias!r} (its aliases: {aliases})") from None
    try:
        return str(client.get_model_version(name, m["version"]).version)
    except MlflowException:
        raise InputError(f"no model {uri!r} {where}: model {name!r} has no version "
                         f"{m['version']}") from None


def _model_dir(target: str, version: str) -> str:
    """The local folder holding the model at ``target`` (downloaded once if remote).

    A registry version is resolved to its storage location first, so a local artifact store
    is read in place and nothing (such as MLflow's ``registered_model_meta``) is written to it.
    """
    import mlflow  # deferred: see resolve_version

    m = _VERSION.match(target)
    if version and m:
        target = mlflow.MlflowClient().get_model_version_download_uri(m["name"], version)
    return mlflow.artifacts.download_artifacts(artifact_uri=target)


def _load_pyfunc(folder: str) -> PyFuncModel:
    """``mlflow.pyfunc.load_model(folder)`` (MLflow's own checks and warnings)."""
    import mlflow  # deferred: see resolve_version

    return mlflow.pyfunc.load_model(folder)


def load_served_model(uri: str, tracking_uri: str | None = None) -> ServedModel:
    """Load the pyfunc at ``uri`` once and unwrap its :class:`Scorer`.

    The version is resolved first and that exact version is loaded, so an alias moved during
    the call cannot mix two models.

    Raises
    ------
    InputError
        Unknown model, alias or version; an unreadable URI; a pyfunc that is not tmeprog's.
    """
    if uri.startswith(("models:", "runs:")):  # a folder of a saved model needs no store
        check_store_exists(resolve_uri(tracking_uri))
    store = use_store(tracking_uri)
    version = resolve_version(uri, store)
    target = uri
    if version and (m := _ALIAS.match(uri)):
        target = f"models:/{m['name']}/{version}"
    # The model's bundled copy of tmeprog goes on sys.path while loading (as MLflow does),
    # and off again: this process runs the installed tmeprog, and so must the worker
    # processes it starts (they inherit sys.path), or parent and workers would mix versions.
    path = list(sys.path)
    try:
        loaded = _load_pyfunc(_model_dir(target, version))
    except Exception as exc:  # mlflow raises several types for unreadable URIs
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"no model {uri!r} in the tracking store {_store_label(store)} "
                         f"({first[:200]}); check --model and --tracking-uri") from None
    finally:
        sys.path[:] = path
    try:
        scorer = loaded.unwrap_python_model().scorer
    except Exception:
        scorer = None
    if not isinstance(scorer, Scorer):
        raise InputError(f"model {uri!r} is not a tmeprog model (no scorer inside); "
                         "score it with mlflow.pyfunc directly")
    return ServedModel(uri=uri, version=version, scorer=scorer, pyfunc=loaded)
