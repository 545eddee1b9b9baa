// Package blobtest is the conformance suite that every blob.Store backend passes.
// A backend's test calls Run with a Harness that makes fresh, empty stores; the
// suite checks the contracts written in package blob's doc comments.
package blobtest
