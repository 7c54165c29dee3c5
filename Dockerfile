# Parley hub image. Build: docker build -t parley .   Run: see docs/operations.md (Docker).
#
# Stage 1 builds (TypeScript, the web client) and compiles better-sqlite3 against this Node; stage 2
# holds only the runtime: production dependencies, dist/ and bin/, run as an unprivileged user with the
# data (SQLite database, TLS certificate) in a volume.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PARLEY_HOST=0.0.0.0 \
    PARLEY_PORT=7447 \
    PARLEY_DATA_DIR=/data \
    PARLEY_LOG_FORMAT=json
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
RUN ln -s /app/bin/parley.js /usr/local/bin/parley \
    && mkdir -p /data && chown node:node /data
# The "node" user of the base image (uid 1000): nothing in the image is writable by it but /data.
USER node
VOLUME ["/data"]
EXPOSE 7447
# Metrics are off by default; with PARLEY_METRICS_PORT=9464 and PARLEY_METRICS_HOST=0.0.0.0, publish
# 9464 on a private network only.
# /healthz over the hub's own TLS (self-signed unless --tls-cert): Node's fetch cannot skip the check,
# so the probe uses https.get with rejectUnauthorized false — the probe only asks "is it alive?".
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const s=process.env.PARLEY_INSECURE==='true';require(s?'http':'https').get({host:'127.0.0.1',port:process.env.PARLEY_PORT||7447,path:'/healthz',rejectUnauthorized:false,timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["parley"]
CMD ["serve"]
