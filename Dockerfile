# flowaudit's image: a build stage (toolchain, TypeScript build, the eBPF loader) and a runtime
# stage holding only what runs. docs/image.md describes the layout, the user and the capabilities;
# scripts/build-image.sh builds it with buildah from base images made locally from Debian packages.
#
# Both stages need Debian 13 "trixie" (Node.js 20 is a Debian package there; the library package
# names below are trixie's). Each stage installs what its base lacks, so plain debian:trixie
# images work where a registry is reachable, and the bases build-image.sh makes, which already
# hold every package, need no network for it.
ARG BUILD_IMAGE=docker.io/library/debian:trixie
ARG RUNTIME_IMAGE=docker.io/library/debian:trixie-slim

FROM ${BUILD_IMAGE} AS build
# npm and libnode-dev (the headers node-gyp compiles the cap addon against), python3 for
# node-gyp; clang, llvm, bpftool and the -dev libraries for native/ (docs/ebpf.md, "Build").
ARG BUILD_PACKAGES="ca-certificates nodejs npm libnode-dev python3 make gcc g++ libc6-dev clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev protobuf-c-compiler libprotobuf-c-dev libpcap-dev"
RUN missing=$(for p in $BUILD_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done); \
    if [ -n "$missing" ]; then \
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; \
    fi
# node-gyp compiles the cap addon against the installed headers (libnode-dev), not ones it would
# download from nodejs.org. NODE_EXTRA_CA_CERTS, if given, is a CA bundle Node.js (npm) trusts
# besides its own: build-image.sh mounts the host's, for networks behind a TLS-inspecting proxy.
ENV npm_config_nodedir=/usr
ARG NODE_EXTRA_CA_CERTS
WORKDIR /src
# Dependencies first: this layer is reused while package-lock.json and the cap patch are unchanged.
COPY package.json package-lock.json ./
COPY patches/ patches/
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY scripts/generate-schema-validator.mjs scripts/bundle-cli.mjs scripts/
COPY src/ src/
COPY rules/ rules/
COPY proto/ proto/
COPY native/ native/
RUN npm run --silent build && make -s -C native

FROM ${RUNTIME_IMAGE}
# Node.js and the shared libraries the loader (libbpf, libelf, zlib, protobuf-c) and the cap
# addon (libpcap) link against; nothing else.
ARG RUNTIME_PACKAGES="nodejs libpcap0.8t64 libbpf1 libelf1t64 zlib1g libprotobuf-c1"
ARG VERSION=unknown
RUN missing=$(for p in $RUNTIME_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done); \
    if [ -n "$missing" ]; then \
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && echo 'flowaudit:x:65532:65532:flowaudit:/nonexistent:/usr/sbin/nologin' >> /etc/passwd \
    && echo 'flowaudit:x:65532:' >> /etc/group \
    && mkdir -p /usr/lib/flowaudit /usr/share/flowaudit \
    && ln -s ../../share/flowaudit/rules /usr/lib/flowaudit/rules \
    && ln -s ../lib/flowaudit/dist/bin/flowaudit.js /usr/bin/flowaudit
# The package root, laid out as in the checkout (the CLI finds package.json, rules/ and the
# loader two directories above dist/bin): the bundled CLI with its source maps, and the two
# modules it loads at run time rather than bundles: the cap addon (native, libpcap) and bcryptjs
# (loaded by path in the basic-auth worker thread).
COPY --from=build /src/package.json /usr/lib/flowaudit/
COPY --from=build /src/dist/bin/ /usr/lib/flowaudit/dist/bin/
COPY --from=build /src/node_modules/cap/package.json /usr/lib/flowaudit/node_modules/cap/
COPY --from=build /src/node_modules/cap/lib/ /usr/lib/flowaudit/node_modules/cap/lib/
COPY --from=build /src/node_modules/cap/build/Release/cap.node /usr/lib/flowaudit/node_modules/cap/build/Release/
COPY --from=build /src/node_modules/bcryptjs/ /usr/lib/flowaudit/node_modules/bcryptjs/
COPY --from=build /src/native/build/flowaudit-loader /usr/lib/flowaudit/
COPY --from=build /src/rules/ /usr/share/flowaudit/rules/
LABEL org.opencontainers.image.title="flowaudit" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Non-root: offline analysis needs no privilege. watch needs capabilities that Kubernetes does not
# pass to a non-root process (docs/image.md, "User and capabilities").
USER 65532:65532
ENTRYPOINT ["flowaudit"]
CMD ["--help"]
