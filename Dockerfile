# The one Ondes image: the monolith by default, any single module with MODULES=<name>.
FROM oven/bun:1.4.4 AS deps
WORKDIR /app
COPY package.json bun.lock ./
# package.json's patchedDependencies: the install fails without them.
COPY patches patches
RUN bun install --frozen-lockfile --production

FROM oven/bun:1.4.4
WORKDIR /app
ENV NODE_ENV=production
# Debian's ffmpeg (and ffprobe): the streams module remuxes recordings into VODs, cuts clips and
# takes thumbnails with it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/node_modules node_modules
COPY package.json bun.lock ./
COPY migrations migrations
COPY src src
# The signing keys' default home; a volume mounted here starts owned by `bun`.
RUN mkdir -p .data/keys && chown -R bun:bun .data
USER bun
EXPOSE 3000
# No curl in the image: bun itself asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["bun", "src/main.ts"]
