// Package ctxio makes long copies stop when their context ends: io.Copy knows no
// context, and an upload of a gigabyte must not outlive a cancelled request.
package ctxio
