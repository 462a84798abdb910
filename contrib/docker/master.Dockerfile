# The mastro master. Built from a built checkout, at its top (the image takes its node_modules, whose
# SQLite driver is compiled there, for the same Node major and a Debian bookworm glibc):
#
#   npm ci && npm run build
#   docker build -f contrib/docker/master.Dockerfile -t mastro-master .
#
# The master directory is /var/lib/mastro (a volume): put a master.config.ts (or .yaml) there, e.g.
# contrib/docker/master.config.ts, which compose.yaml mounts. Ports: 8010 (web UI, API, /metrics,
# /healthz, /readyz) and 9989 (workers).
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}
# git for changes.gitPoller; empty to add nothing (an image built without network access).
ARG EXTRA_PACKAGES="git ca-certificates"
RUN if [ -n "$EXTRA_PACKAGES" ]; then apt-get update && apt-get install -y --no-install-recommends $EXTRA_PACKAGES && rm -rf /var/lib/apt/lists/*; fi
WORKDIR /opt/mastro
COPY package.json package-lock.json LICENSE ./
COPY node_modules node_modules
COPY packages/protocol/package.json packages/protocol/LICENSE packages/protocol/
COPY packages/protocol/dist packages/protocol/dist
COPY packages/protocol/vectors packages/protocol/vectors
COPY packages/worker/package.json packages/worker/LICENSE packages/worker/
COPY packages/worker/bin packages/worker/bin
COPY packages/worker/dist packages/worker/dist
COPY packages/master/package.json packages/master/LICENSE packages/master/
COPY packages/master/bin packages/master/bin
COPY packages/master/dist packages/master/dist
COPY packages/master/schema packages/master/schema
# Only the runtime dependencies stay (the lockfile says which; nothing is fetched).
RUN npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund \
 && ln -s /opt/mastro/packages/master/bin/mastro.js /usr/local/bin/mastro \
 && mkdir -p /var/lib/mastro && chown node:node /var/lib/mastro
USER node
VOLUME /var/lib/mastro
WORKDIR /var/lib/mastro
EXPOSE 8010 9989
# In the foreground (the container is the supervisor): SIGTERM is a graceful stop, SIGHUP a reconfig,
# logs are JSON lines on standard output (docker logs).
STOPSIGNAL SIGTERM
ENTRYPOINT ["mastro"]
CMD ["start", "/var/lib/mastro", "--foreground"]
