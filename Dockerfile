# The o11y CLI and controller image (`o11y watch`, `o11y check`), for linux/amd64 and linux/arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/cdk8s-o11y/o11y:0.1.0 --push .
# Keep the tag in step with IMAGES.o11yController in constructs/images.ts.

# Dependencies are plain JavaScript, so they are installed once on the build machine's own
# platform (no emulation) and copied into each target platform's image.
FROM --platform=$BUILDPLATFORM node:20.20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json main.ts ./
COPY bin ./bin
COPY src ./src
COPY constructs ./constructs
COPY charts ./charts
COPY imports ./imports
# The image's unprivileged `node` user (uid 1000); the Deployment sets runAsNonRoot and a
# read-only root filesystem with an emptyDir on /tmp for tsx's compile cache.
USER 1000:1000
EXPOSE 9464
ENTRYPOINT ["node", "bin/o11y.js"]
CMD ["watch", "--listen=:9464"]
