// Package safefile is how Gongshi opens the files a person names and writes the
// files it leaves for people to keep.
//
// Reading: only regular files are read. A named pipe would block the open for
// ever and a device could stream without end, so a path is opened without
// blocking (O_NONBLOCK) and the open handle, not the path, is checked: a check
// of the path before the open could be answered by one file and the open by
// another.
//
// Writing: reports, receipts and checkpoints saved for later are written to a
// temporary file in the same directory, synced, and renamed into place, so that
// a reader (or a crash) sees the old file or the whole new one, never half of
// one. They are created readable by their owner only (0600: they hold record
// metadata), never written through a symbolic link, and an existing file is
// replaced only when the caller says so (a --force flag, or a command whose
// purpose is to update that file).
package safefile
