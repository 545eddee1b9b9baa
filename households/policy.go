package households

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
)

// The column policy of a register or a table: which columns may leave the staff
// side, and how. It is a whitelist: a column is public or masked only when staff
// declared it so; every other column is private, so that a free-text 备注 with a
// telephone number in it never reaches a resident.

// Policy is what staff declare of a file's columns. Columns not named are private.
type Policy struct {
	// Public are the columns shown as they are.
	Public []string
	// Masked are the columns shown masked. A name may end in ":name",
	// ":address" or ":partial" to say how (archive.MaskKind); without it the
	// kind follows from the column (the head of household's name, the address),
	// else partial.
	Masked []string
	// Private are columns declared private: a table's column that the
	// register would otherwise lend its public or masked policy to.
	Private []string
}

// ParsePolicyList splits a list of column names as a person types it
// (户号,建筑面积 or 户号、建筑面积), for flags and forms.
func ParsePolicyList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == '\n' })
	var out []string
	for _, x := range f {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Role is what a column of a register means to the archive.
type Role string

// The roles a register must have columns for (Decree 590 Art. 15: the survey
// registers the houses' ownership, location, use and building area).
const (
	RoleNumber    Role = "number"    // 户号: the key
	RoleHead      Role = "head"      // 户主: the head of household (被征收人)
	RoleAddress   Role = "address"   // 房屋坐落
	RoleArea      Role = "area"      // 建筑面积, square metres
	RoleOwnership Role = "ownership" // 产权性质
)

// Roles lists the roles in the order a register names them.
func Roles() []Role { return []Role{RoleNumber, RoleHead, RoleAddress, RoleArea, RoleOwnership} }

// roleLabel is the role as people read it.
func roleLabel(r Role) string {
	return map[Role]string{RoleNumber: "户号 (household number)", RoleHead: "户主 (head of household)",
		RoleAddress: "房屋坐落 (address)", RoleArea: "建筑面积 (building area)", RoleOwnership: "产权性质 (ownership)"}[r]
}

// roleAliases are the column names (without a unit in brackets, lower case) that
// mean each role, as registers in Jilin name them and as English headers do.
var roleAliases = map[Role][]string{
	RoleNumber:    {"户号", "房屋编号", "编号", "household", "household_number", "number"},
	RoleHead:      {"户主", "户主姓名", "被征收人", "产权人", "姓名", "head", "head_of_household", "name"},
	RoleAddress:   {"房屋坐落", "坐落", "地址", "房屋地址", "address"},
	RoleArea:      {"建筑面积", "面积", "building_area", "area"},
	RoleOwnership: {"产权性质", "权属", "产权", "ownership"},
}

// baseName is a column name without a unit in brackets, in lower case:
// 建筑面积（平方米） → 建筑面积.
func baseName(col string) string {
	s := strings.TrimSpace(col)
	for _, open := range []string{"（", "("} {
		if i := strings.Index(s, open); i > 0 {
			s = strings.TrimSpace(s[:i])
		}
	}
	return strings.ToLower(s)
}

// roleOf is the role column col has by its name, "" for none.
func roleOf(col string) Role {
	b := baseName(col)
	for _, r := range Roles() {
		if slices.Contains(roleAliases[r], b) {
			return r
		}
	}
	return ""
}

// findRoles maps each role to the first column of header that has it.
func findRoles(header []string) map[Role]string {
	out := map[Role]string{}
	for _, c := range header {
		if r := roleOf(c); r != "" && out[r] == "" {
			out[r] = c
		}
	}
	return out
}

// keyColumn is the household-number column of header, "" when none.
func keyColumn(header []string) string { return findRoles(header)[RoleNumber] }

// defaultMask is how a masked column is masked when the declaration does not
// say: a name to its surname, an address to the building, anything else partly.
func defaultMask(col string) archive.MaskKind {
	switch roleOf(col) {
	case RoleHead:
		return archive.MaskName
	case RoleAddress:
		return archive.MaskAddress
	}
	b := baseName(col)
	for _, w := range []string{"姓名", "名字", "户主", "产权人", "承租人", "name"} {
		if strings.Contains(b, w) {
			return archive.MaskName
		}
	}
	for _, w := range []string{"地址", "坐落", "住址", "address"} {
		if strings.Contains(b, w) {
			return archive.MaskAddress
		}
	}
	return archive.MaskPartial
}

// declare gives every column of header its policy from p: the key column is
// always public (it is how a household finds its row, shown even on the
// internet), a column p names is public or masked, every other one private.
// inherit, when set, gives the policy of columns p does not name (a table's
// columns that the project's register declared). It reports every name p gives
// that is not a column, and a key column declared masked.
func declare(header []string, key string, p Policy, inherit map[string]archive.TableColumn) ([]archive.TableColumn, []Problem) {
	var ps []Problem
	type decl struct {
		policy archive.ColumnPolicy
		mask   archive.MaskKind
	}
	named := map[string]decl{}
	for _, c := range p.Public {
		named[strings.TrimSpace(c)] = decl{policy: archive.ColumnPublic}
	}
	for _, c := range p.Masked {
		name, kind, _ := strings.Cut(strings.TrimSpace(c), ":")
		k := archive.MaskKind(kind)
		if kind == "" {
			k = defaultMask(name)
		}
		if !k.Valid() {
			ps = append(ps, Problem{Column: name, Message: fmt.Sprintf("masked as %q: say name, address or partial", kind)})
		}
		if _, both := named[name]; both {
			ps = append(ps, Problem{Column: name, Message: "declared both public and masked"})
		}
		named[name] = decl{policy: archive.ColumnMasked, mask: k}
	}
	for _, c := range p.Private {
		name := strings.TrimSpace(c)
		if _, both := named[name]; both {
			ps = append(ps, Problem{Column: name, Message: "declared private and also public or masked"})
		}
		named[name] = decl{policy: archive.ColumnPrivate}
	}
	for name := range named {
		if !slices.Contains(header, name) {
			ps = append(ps, Problem{Column: name, Message: fmt.Sprintf("declared, but the file has no such column (its columns: %s)", strings.Join(header, ", "))})
		}
	}
	var cols []archive.TableColumn
	for _, h := range header {
		c := archive.TableColumn{Name: h, Policy: archive.ColumnPrivate}
		d, ok := named[h]
		switch {
		case ok:
			c.Policy, c.Mask = d.policy, d.mask
		case inherit != nil:
			if ic, ok := inherited(inherit, h); ok {
				c = archive.TableColumn{Name: h, Policy: ic.Policy, Mask: ic.Mask}
			}
		}
		if h == key {
			if ok && d.policy != archive.ColumnPublic {
				ps = append(ps, Problem{Column: h, Message: "the household number is the key residents look themselves up by: it is public, not masked"})
			}
			c = archive.TableColumn{Name: h, Policy: archive.ColumnPublic}
		}
		cols = append(cols, c)
	}
	slices.SortFunc(ps, func(a, b Problem) int { return strings.Compare(a.Column, b.Column) })
	return cols, ps
}

// inherited is the declaration in inherit of column col: of the same name, else
// of the same name without its unit (建筑面积 and 建筑面积（平方米）).
func inherited(inherit map[string]archive.TableColumn, col string) (archive.TableColumn, bool) {
	if c, ok := inherit[col]; ok {
		return c, true
	}
	b := baseName(col)
	var names []string
	for n := range inherit {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if baseName(n) == b {
			return inherit[n], true
		}
	}
	return archive.TableColumn{}, false
}
