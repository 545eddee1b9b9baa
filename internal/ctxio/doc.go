// Package ctxio makes long copies and waits stop when their context ends: io.Copy
// knows no context, and an upload of a gigabyte must not outlive a cancelled
// request; nor must a writer polling for its turn outlive its batch.
package ctxio
