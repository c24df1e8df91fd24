# The gitops-cmp sidecar for argocd-repo-server (README: "Install the plugin").
#
#   docker build -t gitops-cmp:0.1.0 .            # package and pinned deps from PyPI
#
# Offline (air-gapped): put every wheel in wheelhouse/ inside the build context; the build then
# never touches an index:
#
#   pip wheel --wheel-dir wheelhouse . 'setuptools>=77'
#   docker build --network none --build-arg BASE_IMAGE=<your python 3.11 image> -t gitops-cmp:0.1.0 .
#
# The wheels must match the base image's Python (3.11 for both defaults' Debian bookworm).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
# .dockerignore is an allowlist: only the package, its metadata, plugin.yaml and wheelhouse/ get here.
COPY . /src
# One RUN: each layer is a full copy of the file system on some storage drivers.
# libhelm_c.so ships three times (wheels cannot hold symlinks); keep one file and link the rest
# (~170 MB). pip and setuptools leave the venv: the sidecar never installs anything.
# Argo CD starts `gitops-cmp init` and `gitops-cmp generate` for every sync of every app, so the
# command is a launcher of its own, not pip's: without the site module (1.6 ms) and the `re` that
# pip's wrapper imports, it starts in about 8 ms instead of 10-14 (README, "Resident worker").
RUN set -eu; \
    python3 -m venv /opt/venv; \
    if [ -d /src/wheelhouse ]; then \
        /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /src/wheelhouse -c /src/constraints.txt /src; \
    else \
        /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -c /src/constraints.txt /src; \
    fi; \
    for lib in /opt/venv/lib/python3*/site-packages/helm_python/lib; do \
        cd "$lib"; \
        real=$(ls libhelm_c.so.*.*.* 2>/dev/null | head -n 1); \
        [ -n "$real" ] || continue; \
        for alias in libhelm_c.so libhelm_c.so.*; do \
            if [ "$alias" != "$real" ] && [ ! -L "$alias" ] && cmp -s "$alias" "$real"; then \
                ln -sf "$real" "$alias"; \
            fi; \
        done; \
    done; \
    /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools; \
    printf '%s\n' '#!/opt/venv/bin/python3 -S' 'import sys' \
        'sys.path.append("/opt/venv/lib/python%d.%d/site-packages" % sys.version_info[:2])' \
        'from cmp.client import entry' 'entry()' > /opt/venv/bin/gitops-cmp; \
    /opt/venv/bin/gitops-cmp --help >/dev/null

FROM ${BASE_IMAGE}
# Argo CD runs the sidecar as uid 999 on a read-only root: everything written goes to the /tmp
# emptyDir, Helm's dirs included. PATH is spelled out because some bases set none. The first
# generate starts the resident worker (README, "Resident worker"); argocd-cmp-server stays the command.
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    XDG_CONFIG_HOME=/tmp/.config \
    XDG_DATA_HOME=/tmp/.local/share \
    HELM_CACHE_HOME=/tmp/.cache/helm \
    HELM_CONFIG_HOME=/tmp/.config/helm \
    HELM_DATA_HOME=/tmp/.local/share/helm \
    PYTHONDONTWRITEBYTECODE=1 \
    GITOPS_CMP_WORKER=spawn
COPY --from=build /opt/venv /opt/venv
COPY plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
USER 999:999
# Injected by the repo-server pod's copyutil init container through the var-files volume.
ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]
