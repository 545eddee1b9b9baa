package retention

import (
	"bytes"
	"fmt"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/sheetsafe"
)

// registerHeader are the columns of a destruction list (销毁清册): what DA/T 22
// and the archives' practice list of each record destroyed, with the record's id
// and digests, which tie the list to the ledger.
var registerHeader = []string{"序号", "档号", "题名", "文号", "责任者", "成文日期", "文件类型", "保管期限", "起算日期", "到期日期",
	"记录标识", "版本", "SHA-256", "SM3", "字节数", "内容处置"}

// The dispositions of a record's content.
const (
	contentDeleted = "已销毁"
	contentKept    = "保留（另有保管中的档案为同一内容）"
)

// RegisterCSV is the destruction list of disposal d for the records rows (one
// project's): UTF-8 with a byte-order mark (so that spreadsheet programs read
// the Chinese), a header, a row per record. It is a function of its arguments
// alone, so that an interrupted disposal carried on files the same list.
func RegisterCSV(d Disposal, rows []PlannedRecord, deleting map[string]bool) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := sheetsafe.NewWriter(&buf, true) // no metadata cell runs as a formula in a spreadsheet
	if err := w.Write(registerHeader); err != nil {
		return nil, err
	}
	for i, pr := range rows {
		r := pr.Last
		s := pr.Entry.Status
		disposition := contentKept
		if deleting[archive.ContentKey(r.Content.SHA256)] {
			disposition = contentDeleted
		}
		if err := w.Write([]string{
			fmt.Sprint(i + 1), r.ArchivalCode, r.Title, r.DocNumber, r.Issuer, dateText(r.Date), r.Type,
			string(s.Schedule.Period), dateText(s.Schedule.From), dateText(s.Due), r.ID, fmt.Sprint(r.Version),
			r.Content.SHA256.String(), r.Content.SM3.String(), fmt.Sprint(r.Content.Size), disposition,
		}); err != nil {
			return nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func dateText(d archive.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
