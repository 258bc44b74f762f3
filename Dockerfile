# The o11y CLI and controller image (`o11y watch`, `o11y check`), for linux/amd64 and linux/arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/cdk8s-o11y/o11y:0.1.0 --push .
# Keep the tag in step with IMAGES.o11yController in src/model/images.ts.

# The CLI is bundled into one JavaScript file (scripts/bundle.ts) on the build machine's own
# platform: it is plain JavaScript, so every target platform runs the same file, without tsx and
# with only the parts of its dependencies it uses (far less memory for `o11y watch`).
FROM --platform=$BUILDPLATFORM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY constructs ./constructs
COPY charts ./charts
COPY imports ./imports
RUN npm run build

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/build/o11y.mjs ./o11y.mjs
# The image's unprivileged `node` user (uid 1000); the Deployment sets runAsNonRoot and a
# read-only root filesystem.
USER 1000:1000
EXPOSE 9464
# A small young generation keeps watch mode's RSS down (bench/controller.ts measures with the same flag).
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/o11y.mjs"]
CMD ["watch", "--listen=:9464"]
