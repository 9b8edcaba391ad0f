// Own module so this CI helper stays out of the main module's packages,
// dependencies and ./... patterns. Standard library only: no go.sum needed.
module github.com/respond/bulkjobs/ci/vulndb

go 1.26.0
