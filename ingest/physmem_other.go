//go:build !linux

package ingest

// physicalMemory is not known on this platform: DefaultMemoryBudget falls back.
func physicalMemory() int64 { return 0 }
