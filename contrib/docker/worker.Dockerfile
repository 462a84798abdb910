# A mastro worker. Built from a built checkout, at its top:
#
#   npm ci && npm run build
#   docker build -f contrib/docker/worker.Dockerfile -t mastro-worker .
#
# It needs no create-worker: Buildbot's latent-worker variables set it up at each start
#   docker run -e BUILDMASTER=ci.example.org -e BUILDMASTER_PORT=9989 -e WORKERNAME=w1 -e WORKERPASS=... mastro-worker
# (or MASTRO_WORKER_POOL and MASTRO_WORKER_TOKEN_FILE for a pool). Builds run in /var/lib/mastro-worker.
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}
# What builds commonly need (steps.git runs git here); empty to add nothing.
ARG EXTRA_PACKAGES="git ca-certificates"
RUN if [ -n "$EXTRA_PACKAGES" ]; then apt-get update && apt-get install -y --no-install-recommends $EXTRA_PACKAGES && rm -rf /var/lib/apt/lists/*; fi
WORKDIR /opt/mastro
COPY package.json package-lock.json LICENSE ./
COPY node_modules node_modules
COPY packages/protocol/package.json packages/protocol/LICENSE packages/protocol/
COPY packages/protocol/dist packages/protocol/dist
COPY packages/worker/package.json packages/worker/LICENSE packages/worker/
COPY packages/worker/bin packages/worker/bin
COPY packages/worker/dist packages/worker/dist
# The worker's runtime dependencies only (mastro-protocol, ws, msgpackr): without the master among the
# workspaces, its packages are extraneous and pruned with the development ones.
RUN node -e "const f='package.json', p=JSON.parse(require('fs').readFileSync(f)); p.workspaces=p.workspaces.filter((w)=>w!=='packages/master'); require('fs').writeFileSync(f, JSON.stringify(p, null, 2))" \
 && npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund \
 && ln -s /opt/mastro/packages/worker/bin/mastro-worker.js /usr/local/bin/mastro-worker \
 && mkdir -p /var/lib/mastro-worker && chown node:node /var/lib/mastro-worker
USER node
WORKDIR /var/lib/mastro-worker
# SIGTERM: running commands finish first (give `docker stop` a --time to match).
STOPSIGNAL SIGTERM
ENTRYPOINT ["mastro-worker"]
CMD ["start", "/var/lib/mastro-worker", "--foreground"]
