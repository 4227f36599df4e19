# The iomaplab image: a static binary (CGO_ENABLED=0) on a small base with a
# shell, so a Kubernetes Indexed Job can redirect each shard's JSON to a file
# (deploy/k8s). Build: docker build -t iomaplab .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/iomaplab ./cmd/iomaplab

FROM alpine:3.22
COPY --from=build /out/iomaplab /usr/local/bin/iomaplab
USER 65534:65534
ENTRYPOINT ["iomaplab"]
CMD ["help"]
