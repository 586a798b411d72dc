# rewind worker + Slack app. Multi-stage: build with dev dependencies, run with production ones only, as non-root.
# The workflow bundle is built here, at image build time, so workers start fast and run exactly the reviewed code.

FROM golang:1.24-bookworm AS kustomize
# The drift report and the emergency path render kustomize overlays the same way Argo CD and Flux do.
RUN GOBIN=/out CGO_ENABLED=0 go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.0

FROM node:22-bookworm-slim AS build
WORKDIR /app
# scripts/build.mjs is npm's `prepare`: here, before the sources are copied, it builds nothing.
COPY package.json package-lock.json ./
COPY scripts/build.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY runbooks ./runbooks
RUN node scripts/build.mjs \
 && node --input-type=module -e "import { bundleWorkflowCode } from '@temporalio/worker'; import { writeFileSync } from 'node:fs'; const { code } = await bundleWorkflowCode({ workflowsPath: '/app/dist/workflows/index.js' }); writeFileSync('/app/dist/workflow-bundle.js', code);"

FROM node:22-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production REWIND_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js REWIND_DATA_DIR=/var/lib/rewind REWIND_CACHE_DIR=/var/lib/rewind/cache REWIND_KUSTOMIZE_PATH=/usr/local/bin/kustomize LOG_FORMAT=json
COPY package.json package-lock.json ./
COPY scripts/build.mjs ./scripts/
# Without dev dependencies there is no typescript: `prepare` says so and builds nothing; dist/ comes from the build stage.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY runbooks ./runbooks
COPY --from=kustomize /out/kustomize /usr/local/bin/kustomize
RUN useradd --uid 10001 --create-home rewind && mkdir -p /var/lib/rewind && chown rewind /var/lib/rewind
USER 10001
EXPOSE 3000 8081
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/app/main.js"]
