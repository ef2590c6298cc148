# One image for the line of compose.yaml: the simulated station (discos-simulator),
# the controller (mfg-ctl batch) and the web UI (mfg-ctl serve-web), with the
# PostgreSQL, MQTT, web and report extras. doc/deploy.rst explains it; it has not
# been built on the machines this project is made on (no container engine there).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango (and a font) for WeasyPrint's PDF reports; nothing else from Debian.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# The services run as this user, never as root; /data holds run folders.
RUN useradd --create-home --uid 10001 --user-group mfg \
    && mkdir /data && chown mfg:mfg /data

WORKDIR /app
COPY pyproject.toml setup.py README.rst LICENSE ./
COPY simulators ./simulators
COPY mfg_ctl ./mfg_ctl
# A regular (not editable) install with the extras only: no dev tools.
RUN pip install ".[web,pg,mqtt,reports]"

# The plans and station files the commands of compose.yaml name (relative to /app).
COPY plans ./plans
COPY stations ./stations

USER mfg

# The reference station's Modbus devices (doc/reference_station.rst) and the web UI.
EXPOSE 5020 5021 5022 5023 5050

# No HEALTHCHECK here: one image runs three kinds of service (a station, a batch
# that ends, a web server), so each service of compose.yaml has its own check.
CMD ["mfg-ctl", "--help"]
