"""Load a served tmeprog model once: registry URI -> version, pyfunc -> its scorer.

Loading is the work ``mlflow.pyfunc.load_model`` does, minus what a tmeprog model makes slow
and scoring never uses. Its MLmodel file holds a signature of one optional column per gene
(about a megabyte of JSON inside YAML) and an input example of as many columns. MLflow parses
that file three times with the pure-Python YAML parser (``load_model``, then its
``_get_flavor_configuration`` and ``_load_context_model_and_signature``) and reads the
example back into a frame, column by column: together most of the load time. Here the model
URI is resolved to a local folder once (no copy for a local artifact store, nothing written
into it), the MLmodel is parsed once with libyaml when present, and the pickled python model
is unpickled and wrapped in a :class:`mlflow.pyfunc.PyFuncModel` as ``load_model`` does
(same warnings, same predictions; only ``input_example`` is left unset).
Anything of a shape this path does not mirror (another loader module, models-from-code,
artifacts, a model config, type hints taken from the example, pickles disallowed) goes
through ``mlflow.pyfunc.load_model`` itself.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tmeprog.errors import InputError
from tmeprog.pipeline.scorer import Scorer

if TYPE_CHECKING:
    from mlflow.models import Model
    from mlflow.pyfunc import PyFuncModel

_ALIAS = re.compile(r"^models:/(?P<name>[^@/]+)@(?P<alias>[^/]+)$")
_VERSION = re.compile(r"^models:/(?P<name>[^@/]+)/(?P<version>\d+)$")


@dataclass
class ServedModel:
    """A loaded model: the URI as given, its registry version and the scorer inside.

    ``version`` is empty for URIs outside the registry (``runs:/...``, a folder). ``pyfunc``
    is the :class:`mlflow.pyfunc.PyFuncModel`; its ``input_example`` is not loaded (read it
    with ``pyfunc.metadata.load_input_example(path)`` if needed).
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
    import mlflow
    from mlflow.exceptions import MlflowException

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
    import mlflow

    m = _VERSION.match(target)
    if version and m:
        target = mlflow.MlflowClient().get_model_version_download_uri(m["name"], version)
    return mlflow.artifacts.download_artifacts(artifact_uri=target)


def _read_mlmodel(folder: str) -> Model:
    """The folder's MLmodel as an :class:`mlflow.models.Model`, parsed once (libyaml if any)."""
    import yaml
    from mlflow.models import Model

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same schema as yaml.safe_load
    with open(os.path.join(folder, "MLmodel")) as f:
        return Model.from_dict(yaml.load(f, Loader=loader))


# Keys of the python_function flavor that _load_pyfunc handles as load_model does; any other
# (data, artifacts, model_code_path, config, compression, ...) sends the model to MLflow.
_PLAIN_KEYS = {"loader_module", "python_model", "cloudpickle_version", "code", "env",
               "python_version", "streamable", "predict_fn"}


def _plain_python_model(meta: Model, conf: dict | None) -> bool:
    """True for a cloudpickled ``PythonModel`` that :func:`_load_pyfunc` loads as MLflow does."""
    from mlflow.environment_variables import MLFLOW_ALLOW_PICKLE_DESERIALIZATION

    sig = meta.signature
    return (conf is not None and set(conf) <= _PLAIN_KEYS
            and conf.get("loader_module") == "mlflow.pyfunc.model"
            and bool(conf.get("python_model")) and not conf.get("streamable")
            and not os.environ.get("MLFLOW_PYFUNC_INFERENCE_CONFIG")
            and not (meta.metadata or {}).get("mlflow.model.isExternal")
            # predict reshapes inputs after the input example for such signatures
            and not (sig is not None and getattr(sig, "_is_type_hint_from_example", True))
            and MLFLOW_ALLOW_PICKLE_DESERIALIZATION.get())


def requirement_mismatches(requirements: list[str]) -> list[str]:
    """The model requirements this environment does not satisfy, as MLflow words them
    (``"name (current: 1.0, required: name==2.0)"``).

    MLflow's own check first maps every installed package to its modules (~1 s); a
    requirement names a distribution, whose installed version is read directly here.
    Requirements that are paths or URLs, or whose markers exclude this platform, are skipped.
    """
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement
    from packaging.version import InvalidVersion, Version

    out = []
    for text in requirements:
        try:
            req = Requirement(text)
        except Exception:  # a path or URL
            continue
        if req.marker and not req.marker.evaluate():
            continue
        try:
            have = version(req.name)
        except PackageNotFoundError:
            out.append(f"{req.name} (current: uninstalled, required: {text})")
            continue
        try:
            if req.name.lower() == "mlflow" and Version(have).is_devrelease:
                continue
        except InvalidVersion:
            pass
        if len(req.specifier) and not req.specifier.contains(have):
            out.append(f"{req.name} (current: {have}, required: {text})")
    return out


def _load_pyfunc(folder: str) -> PyFuncModel:
    """``mlflow.pyfunc.load_model(folder)`` with one MLmodel parse and no input example.

    Same warnings (requirements, Python and cloudpickle versions), same ``sys.path`` entry for
    the model's code, same wrapper and ``PyFuncModel``; other model shapes go to MLflow.
    """
    import cloudpickle
    import mlflow

    meta = _read_mlmodel(folder)
    conf = meta.flavors.get("python_function")
    try:  # MLflow internals mirrored below; if they move, MLflow loads the model itself
        from mlflow.pyfunc import (
            _get_pip_requirements_from_model_path,
            _warn_potentially_incompatible_py_version_if_necessary,
        )
        from mlflow.pyfunc.model import _PythonModelPyfuncWrapper
    except ImportError:
        return mlflow.pyfunc.load_model(folder)
    if not _plain_python_model(meta, conf):
        return mlflow.pyfunc.load_model(folder)

    mismatches = requirement_mismatches(_get_pip_requirements_from_model_path(folder))
    if mismatches:
        mlflow.pyfunc._logger.warning(
            "Detected one or more mismatches between the model's dependencies and the current "
            "Python environment:\n - %s\nTo fix the mismatches, call "
            "`mlflow.pyfunc.get_model_dependencies(model_uri)` to fetch the model's environment "
            "and install dependencies using the resulting environment file.",
            "\n - ".join(mismatches))
    _warn_potentially_incompatible_py_version_if_necessary(model_py_version=conf.get(
        "python_version"))
    if conf.get("code"):
        sys.path.insert(0, os.path.join(folder, conf["code"]))
    saved_with = conf.get("cloudpickle_version")
    if saved_with is not None and saved_with != cloudpickle.__version__:
        mlflow.pyfunc._logger.warning(
            "The version of CloudPickle that was used to save the model, `CloudPickle %s`, "
            "differs from the version of CloudPickle that is currently running, `CloudPickle "
            "%s`, and may be incompatible", saved_with, cloudpickle.__version__)
    with open(os.path.join(folder, conf["python_model"]), "rb") as f:
        python_model = cloudpickle.load(f)
    context = mlflow.pyfunc.PythonModelContext(artifacts={}, model_config=None)
    python_model.load_context(context=context)
    impl = _PythonModelPyfuncWrapper(python_model=python_model, context=context,
                                     signature=meta.signature)
    return mlflow.pyfunc.PyFuncModel(model_meta=meta, model_impl=impl,
                                     predict_fn=conf.get("predict_fn", "predict"),
                                     model_id=meta.model_id)


def load_served_model(uri: str, tracking_uri: str | None = None) -> ServedModel:
    """Load the pyfunc at ``uri`` once and unwrap its :class:`Scorer`.

    The version is resolved first and that exact version is loaded, so an alias moved during
    the call cannot mix two models.

    Raises
    ------
    InputError
        Unknown model, alias or version; an unreadable URI; a pyfunc that is not tmeprog's.
    """
    from tmeprog.tracking.store import use_store

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
