package portal

import (
	"errors"
	"html/template"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
)

// staffHouseholdFuncs are the template functions of the household register's
// staff pages.
func staffHouseholdFuncs() template.FuncMap {
	return template.FuncMap{
		"join": func(ss []string, sep string) string { return strings.Join(ss, sep) },
		"list": func(s ...string) []string { return s },
		// dict makes a partial's data from key, value pairs.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd number of arguments")
			}
			m := map[string]any{}
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict: a key is not a string")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"policyClass": func(p archive.ColumnPolicy) string {
			switch p {
			case archive.ColumnPublic:
				return "st-published"
			case archive.ColumnMasked:
				return "st-running"
			}
			return "st-pending"
		},
	}
}

// staffHouseholdMessages are the words of the household register's staff pages
// and of the query-code notice (merged into messages()).
func staffHouseholdMessages() map[Lang]map[string]string {
	return map[Lang]map[string]string{
		LangZh: {
			"staff_households":              "被征收户登记",
			"staff_households_help":         "导入被征收户登记，发放查询码并打印通知书。",
			"staff_hh_intro":                "各项目的被征收户登记和查询码。列表里只有户号和统计数字，不显示任何个人信息。",
			"staff_hh_count":                "户数",
			"staff_hh_version":              "登记版本",
			"staff_hh_columns":              "各列公开方式",
			"staff_hh_codes":                "查询码",
			"staff_hh_issued":               "有效",
			"staff_hh_revoked":              "已作废",
			"staff_hh_without":              "未发放",
			"staff_hh_no_register":          "还没有登记",
			"staff_hh_no_register_yet":      "这个项目还没有被征收户登记。请在下面上传登记表。",
			"staff_hh_no_projects":          "还没有项目。",
			"staff_hh_source":               "来源文件",
			"staff_hh_policy_public":        "公开",
			"staff_hh_policy_masked":        "脱敏",
			"staff_hh_policy_private":       "不公开",
			"staff_hh_issue":                "发放查询码",
			"staff_hh_issue_help":           "查询码只在发放时显示一次，随后打印成通知书交给被征收户。系统只保存它的摘要值。",
			"staff_hh_issue_all":            "给所有还没有查询码的 %d 户发放",
			"staff_hh_list":                 "各户",
			"staff_hh_choose":               "选择",
			"staff_hh_number":               "户号",
			"staff_hh_household":            "户号",
			"staff_hh_code_state":           "查询码",
			"staff_hh_code":                 "查询码",
			"staff_hh_code_issued":          "有效",
			"staff_hh_code_revoked":         "已作废",
			"staff_hh_code_none":            "未发放",
			"staff_hh_reissue_reason_label": "重新发放的原因",
			"staff_hh_reissue_help":         "已有查询码的户重新发放时必须填写原因，原查询码随即失效。",
			"staff_hh_issue_chosen":         "给选中的户发放查询码",
			"staff_hh_issue_one":            "发放查询码",
			"staff_hh_reissue":              "重新发放（原查询码作废）",
			"staff_hh_revoke_reason":        "作废的原因",
			"staff_hh_revoke":               "作废查询码",
			"staff_hh_import":               "导入登记表",
			"staff_hh_import_help":          "上传 CSV（UTF-8 或 Excel 保存的 GB18030）或 JSON。系统先检查每一行，有任何问题都会一次列出，什么也不保存。",
			"staff_hh_file":                 "登记表文件",
			"staff_hh_file_help":            "最大 %s。必须有户号、户主、房屋坐落、建筑面积、产权性质这几列。",
			"staff_hh_encoding":             "文字编码",
			"staff_hh_enc_auto":             "自动识别",
			"staff_hh_upload":               "检查文件",
			"staff_hh_checked":              "文件 %s（%s）检查通过，共 %d 户。请逐列选择公开方式。",
			"staff_hh_declare_help":         "“公开”原样显示给本项目的居民；“脱敏”只显示姓氏或楼栋（张*）；“不公开”只有工作人员能看到。没有选择的列一律不公开。",
			"staff_hh_key_public":           "户号是居民查找本户的依据，总是公开。",
			"staff_hh_replaces":             "这个文件将替换第 %d 版登记，请说明原因。",
			"staff_hh_first_help":           "第一次导入不需要填写原因。",
			"staff_hh_import_button":        "导入",
			"staff_hh_first":                "首次导入",
			"staff_hh_too_large":            "文件太大：登记表最大 %s。",
			"staff_hh_choose_file":          "请选择登记表文件。",
			"staff_hh_upload_gone":          "上传的文件已过期（30 分钟内没有导入）或不是您上传的，请重新上传。",
			"staff_hh_reason_required":      "请填写原因。",
			"staff_hh_nothing_changed":      "没有修改任何内容。",
			"staff_hh_no_code":              "这一户没有有效的查询码。",
			"staff_hh_choose_households":    "请至少选择一户。",
			"staff_hh_no_such":              "户号 %s 不在登记中。",
			"staff_hh_reissue_reason":       "户号 %s 已有查询码：重新发放请填写原因。",
			"staff_hh_values":               "登记内容",
			"staff_hh_issue_stopped":        "发放中途出错：选中的 %[2]d 户中已发放 %[1]d 户（通知书在下面），其余的请稍后再发。",
			"staff_hh_details":              "详细",
			"staff_hh_open":                 "查看",
			"staff_hh_open_edit":            "查看、更正",
			"staff_hh_clock_link":           "本户复核、鉴定期限",
			"staff_hh_read_recorded":        "查看本页会记入工作人员操作记录。",
			"staff_hh_residents_see":        "居民看到：",
			"staff_hh_correct":              "保存更正（生成新版本）",
			"staff_hh_notice":               "查询码通知书",
			"staff_hh_notice_once":          "查询码只显示这一次。请现在打印或下载 PDF；离开本页后无法再看到，只能重新发放。",
			"staff_hh_pdf":                  "下载 PDF",
			"staff_hh_back":                 "返回登记",
			"staff_hh_print_help":           "用浏览器的“打印”即可，每户一页 A4。",
			"staff_hh_no_fonts":             "PDF 暂不可用：服务器没有安装 PDF 所需的字体（fonts-droid-fallback、fonts-dejavu-core）。请用浏览器打印本页。",
			"staff_hh_notice_gone":          "这份通知书的 PDF 已过期（超过一小时）。如需要，请重新发放查询码。",
			"hh_notice_title":               "房屋征收信息查询码通知书",
			"hh_notice_head":                "户主",
			"hh_notice_code":                "您的查询码：",
			"hh_notice_how":                 "使用方法",
			"hh_notice_step1":               "用手机或电脑打开",
			"hh_notice_step2":               "输入户号和上面的查询码（不分大小写，短横线可以不输）。",
			"hh_notice_step3":               "可以看到本户的评估报告、协议、决定等文件，本项目的公示材料，以及本户申请复核、鉴定的期限还剩几天。",
			"hh_notice_keep":                "查询码可以反复使用，请妥善保管，不要告诉他人。如果遗失或被他人知道，请到征收部门申请重新发放，原查询码随即失效。",
			"hh_notice_hotline":             "咨询、投诉电话：",
			"hh_notice_issued":              "发放日期：",
			"done_hh_imported":              "登记已导入。",
			"done_hh_corrected":             "已更正，生成了新版本。",
			"done_hh_revoked":               "查询码已作废。",
			"done_hh_issued":                "查询码已发放。",
		},
		LangEn: {
			"staff_households":              "Household register",
			"staff_households_help":         "Import household registers, issue query codes and print their notices.",
			"staff_hh_intro":                "Each project's household register and query codes. The lists show household numbers and figures only, no personal data.",
			"staff_hh_count":                "Households",
			"staff_hh_version":              "Register version",
			"staff_hh_columns":              "Column policies",
			"staff_hh_codes":                "Query codes",
			"staff_hh_issued":               "valid",
			"staff_hh_revoked":              "revoked",
			"staff_hh_without":              "none yet",
			"staff_hh_no_register":          "No register yet",
			"staff_hh_no_register_yet":      "This project has no household register yet. Upload one below.",
			"staff_hh_no_projects":          "No projects yet.",
			"staff_hh_source":               "Source file",
			"staff_hh_policy_public":        "public",
			"staff_hh_policy_masked":        "masked",
			"staff_hh_policy_private":       "private",
			"staff_hh_issue":                "Issue query codes",
			"staff_hh_issue_help":           "A query code is shown once, when it is issued, to be printed as a notice for the household. Only its hash is kept.",
			"staff_hh_issue_all":            "Issue codes to every household without one (%d)",
			"staff_hh_list":                 "Households",
			"staff_hh_choose":               "Choose",
			"staff_hh_number":               "Household number",
			"staff_hh_household":            "Household",
			"staff_hh_code_state":           "Query code",
			"staff_hh_code":                 "Query code",
			"staff_hh_code_issued":          "valid",
			"staff_hh_code_revoked":         "revoked",
			"staff_hh_code_none":            "none",
			"staff_hh_reissue_reason_label": "Reason for a new code",
			"staff_hh_reissue_help":         "A household that has a code gets a new one only with a reason; the old code stops working.",
			"staff_hh_issue_chosen":         "Issue codes to the households chosen",
			"staff_hh_issue_one":            "Issue a query code",
			"staff_hh_reissue":              "Issue a new code (the old one stops working)",
			"staff_hh_revoke_reason":        "Reason for revoking",
			"staff_hh_revoke":               "Revoke the code",
			"staff_hh_import":               "Import a register",
			"staff_hh_import_help":          "Upload a CSV (UTF-8, or GB18030 as Excel saves it) or JSON. Every row is checked first; every problem is listed at once and nothing is stored.",
			"staff_hh_file":                 "Register file",
			"staff_hh_file_help":            "At most %s. It needs the columns household number, head, address, building area and ownership.",
			"staff_hh_encoding":             "Encoding",
			"staff_hh_enc_auto":             "detect",
			"staff_hh_upload":               "Check the file",
			"staff_hh_checked":              "File %s (%s) checked: %d households. Choose how each column is shown.",
			"staff_hh_declare_help":         "Public: shown as it is to the project's residents; masked: only the surname or the building (Zhang *); private: staff only. A column not chosen is private.",
			"staff_hh_key_public":           "The household number is how residents find their row: it is always public.",
			"staff_hh_replaces":             "This file replaces version %d of the register: say why.",
			"staff_hh_first_help":           "The first import needs no reason.",
			"staff_hh_import_button":        "Import",
			"staff_hh_first":                "First import",
			"staff_hh_too_large":            "The file is too large: a register may have at most %s.",
			"staff_hh_choose_file":          "Choose the register file.",
			"staff_hh_upload_gone":          "The upload has expired (not imported within 30 minutes) or is not yours: upload it again.",
			"staff_hh_reason_required":      "Give the reason.",
			"staff_hh_nothing_changed":      "Nothing was changed.",
			"staff_hh_no_code":              "This household has no valid query code.",
			"staff_hh_choose_households":    "Choose at least one household.",
			"staff_hh_no_such":              "Household %s is not in the register.",
			"staff_hh_reissue_reason":       "Household %s has a code: give the reason to issue a new one.",
			"staff_hh_values":               "Registered values",
			"staff_hh_issue_stopped":        "Issuing stopped on an error: %[1]d of the %[2]d households chosen have their code (the notices are below); issue the others again later.",
			"staff_hh_details":              "Details",
			"staff_hh_open":                 "View",
			"staff_hh_open_edit":            "View, correct",
			"staff_hh_clock_link":           "This household's objection deadlines",
			"staff_hh_read_recorded":        "Viewing this page is recorded in the staff audit trail.",
			"staff_hh_residents_see":        "Residents see:",
			"staff_hh_correct":              "Save the correction (a new version)",
			"staff_hh_notice":               "Query-code notices",
			"staff_hh_notice_once":          "The codes are shown this once. Print them or download the PDF now: once you leave this page they cannot be shown again, only issued anew.",
			"staff_hh_pdf":                  "Download the PDF",
			"staff_hh_back":                 "Back to the register",
			"staff_hh_print_help":           "Use the browser's Print: one A4 page per household.",
			"staff_hh_no_fonts":             "No PDF: the server lacks the PDF's fonts (fonts-droid-fallback, fonts-dejavu-core). Print this page from the browser.",
			"staff_hh_notice_gone":          "This notice's PDF has expired (after an hour). Issue the codes anew if needed.",
			"hh_notice_title":               "Query code for housing expropriation information",
			"hh_notice_head":                "Head of household",
			"hh_notice_code":                "Your query code:",
			"hh_notice_how":                 "How to use it",
			"hh_notice_step1":               "On a phone or computer, open",
			"hh_notice_step2":               "Enter the household number and the code above (any case; the dashes may be left out).",
			"hh_notice_step3":               "You see your household's appraisal report, agreements and decisions, the project's public notices, and how many days are left to ask for a re-check or an expert appraisal.",
			"hh_notice_keep":                "The code can be used again and again. Keep it safe and tell nobody. If it is lost or someone else knows it, ask the expropriation office for a new one: the old one then stops working.",
			"hh_notice_hotline":             "Enquiries and complaints:",
			"hh_notice_issued":              "Issued on",
			"done_hh_imported":              "The register was imported.",
			"done_hh_corrected":             "Corrected: a new version was stored.",
			"done_hh_revoked":               "The query code was revoked.",
			"done_hh_issued":                "The query codes were issued.",
		},
	}
}
