# syntax=docker/dockerfile:1

# Node.js 26 ("Lithium") has been the Active LTS line since 2026-10-28 (support until 2029-04-30);
# Node 24 went to Maintenance on 2026-10-20 and Node 20 reached end of life on 2026-04-30. Every
# runtime dependency accepts 26.0.0 (the strictest ranges: file-type >=22, @whatwg-node/promise-helpers
# >=22.15, @prisma/client ^20.19 || ^22.12 || >=24). trixie is Debian 13, the current Debian stable.
# All three stages use the same tag, so the client is generated and compiled by the Node that runs it;
# test/operations/runtime-image.e2e-spec.ts checks the major against every package's engines.node.

# --- build: full dependencies, generated Prisma client, compiled service
FROM node:26-trixie-slim AS build
# swagger-ui-dist depends on @scarf/scarf, whose postinstall reports the install to scarf.sh;
# package.json allowScripts denies it, and this opts out too where an npm older than 11.16 ignores that.
ENV SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- runtime dependencies only
# --omit=optional as well as --omit=dev: @prisma/client declares the Prisma CLI and TypeScript as
# optional peer dependencies, so npm flags prisma, @prisma/engines, @prisma/studio-core, typescript and
# their dependencies (react, effect, mysql2, ...) "devOptional" (a dev dependency that a runtime package
# could use), and --omit=dev alone still installs them: 485 MB of node_modules instead of 232 MB.
# The only runtime-side optional package this also leaves out is pg-cloudflare, which pg loads only
# inside Cloudflare Workers. No install scripts: the Prisma client is generated and compiled into dist/.
FROM node:26-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# --- runtime: non-root, compiled code, migrations (applied by the service at start)
FROM node:26-trixie-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/data
# The service never runs a package manager or builds native addons: npm, npx, corepack and Node's C
# headers would only be code to patch and scanner findings to triage.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/include/node
WORKDIR /app
# Code and dependencies stay owned by root, so the service (user node) can read but not rewrite them;
# it writes only under DATA_DIR (embedded database, generated secret key).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/apps/api/apps/api/src/main.js"]
