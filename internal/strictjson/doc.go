// Package strictjson decodes the configuration files a deployment writes by hand
// (holiday years, clock rules, the procedure table) so that a mistake is an error,
// not a silently different setting: unknown fields, data after the one JSON object
// and files beyond a size are refused, and the schema version must be known.
package strictjson
