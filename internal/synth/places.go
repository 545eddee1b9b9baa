package synth

// Jilin province's cities (地级市 and the Yanbian prefecture) with their counties
// and districts, the abbreviations their governments put in document numbers, and
// the prefix of their project codes. The district lists are the real ones; the
// abbreviations follow the common pattern (长春市人民政府 → 长府) and are made up
// where a city's real one is not well known.
type city struct {
	name      string // 长春市
	short     string // 长春, as in 长春市房屋征收经办中心
	gov       string // 长府: the city government in document numbers
	bureau    string // 长征: the expropriation department in document numbers
	code      string // CC: project codes CC-2024-001
	fonds     string // Z101: the fonds (全宗号) of the city's expropriation archive
	weight    int    // share of the province's projects
	districts []district
}

type district struct {
	name string // 南关区
	gov  string // 南府
	dept string // CQ01: the department code (机构代码) in archival codes
}

func jilin() []city {
	return []city{
		{"长春市", "长春", "长府", "长征", "CC", "Z101", 34, []district{
			{"南关区", "南府", "NG01"}, {"宽城区", "宽府", "KC01"}, {"朝阳区", "朝府", "CY01"},
			{"二道区", "二府", "ED01"}, {"绿园区", "绿府", "LY01"}, {"双阳区", "双府", "SY01"},
			{"九台区", "九府", "JT01"}, {"农安县", "农政", "NA01"}, {"榆树市", "榆政", "YS01"},
			{"德惠市", "德政", "DH01"}, {"公主岭市", "公政", "GZ01"},
		}},
		{"吉林市", "吉林", "吉市政", "吉市征", "JL", "Z102", 18, []district{
			{"船营区", "船府", "CY02"}, {"昌邑区", "昌府", "CY03"}, {"龙潭区", "龙府", "LT01"},
			{"丰满区", "丰府", "FM01"}, {"永吉县", "永政", "YJ01"}, {"蛟河市", "蛟政", "JH01"},
			{"桦甸市", "桦政", "HD01"}, {"舒兰市", "舒政", "SL01"}, {"磐石市", "磐政", "PS01"},
		}},
		{"四平市", "四平", "四政", "四征", "SP", "Z103", 9, []district{
			{"铁西区", "西府", "TX01"}, {"铁东区", "东府", "TD01"}, {"梨树县", "梨政", "LS01"},
			{"伊通满族自治县", "伊政", "YT01"}, {"双辽市", "辽政", "SL02"},
		}},
		{"辽源市", "辽源", "辽府", "辽征", "LY", "Z104", 5, []district{
			{"龙山区", "龙山府", "LS02"}, {"西安区", "西安府", "XA01"}, {"东丰县", "丰政", "DF01"},
			{"东辽县", "东辽政", "DL01"},
		}},
		{"通化市", "通化", "通政", "通征", "TH", "Z105", 7, []district{
			{"东昌区", "东昌府", "DC01"}, {"二道江区", "二江府", "EJ01"}, {"通化县", "通县政", "TX02"},
			{"辉南县", "辉政", "HN01"}, {"柳河县", "柳政", "LH01"}, {"梅河口市", "梅政", "MH01"},
			{"集安市", "集政", "JA01"},
		}},
		{"白山市", "白山", "白山政", "白山征", "BS", "Z106", 5, []district{
			{"浑江区", "浑府", "HJ01"}, {"江源区", "江府", "JY01"}, {"抚松县", "抚政", "FS01"},
			{"靖宇县", "靖政", "JY02"}, {"长白朝鲜族自治县", "长白政", "CB01"}, {"临江市", "临政", "LJ01"},
		}},
		{"松原市", "松原", "松政", "松征", "SY", "Z107", 7, []district{
			{"宁江区", "宁府", "NJ01"}, {"前郭尔罗斯蒙古族自治县", "前政", "QG01"},
			{"长岭县", "岭政", "CL01"}, {"乾安县", "乾政", "QA01"}, {"扶余市", "扶政", "FY01"},
		}},
		{"白城市", "白城", "白政", "白征", "BC", "Z108", 5, []district{
			{"洮北区", "洮府", "TB01"}, {"镇赉县", "赉政", "ZL01"}, {"通榆县", "榆县政", "TY01"},
			{"洮南市", "洮政", "TN01"}, {"大安市", "安政", "DA01"},
		}},
		{"延边朝鲜族自治州", "延边", "延州政", "延州征", "YB", "Z109", 10, []district{
			{"延吉市", "延市政", "YJ02"}, {"图们市", "图政", "TM01"}, {"敦化市", "敦政", "DH02"},
			{"珲春市", "珲政", "HC01"}, {"龙井市", "龙井政", "LJ02"}, {"和龙市", "和政", "HL01"},
			{"汪清县", "汪政", "WQ01"}, {"安图县", "安图政", "AT01"},
		}},
	}
}

// Places and streets that projects are named after (东天街片区, 站前片区 …): names
// of the kind every northeastern city has.
var placeNames = []string{
	"东天街", "站前", "南岭", "红旗街", "桃源路", "铁北", "西站", "光明街", "解放路", "胜利街",
	"民主街", "曙光", "新华", "北安路", "自由大路", "幸福街", "建设街", "和平街", "人民大街", "东大桥",
	"西安大路", "临河街", "亚泰大街", "长江路", "黄河路", "吉林大路", "东盛", "南湖", "北湖", "净月",
	"河东", "江南", "江北", "哈达湾", "致和", "北山", "德胜门", "东市场", "粮米行", "新地号",
	"英雄大路", "紫气大路", "南河", "北河", "三道林子", "地直街", "新兴街", "站前北", "老城区", "二马路",
	"工农", "团结", "向阳", "前进", "红星", "东风", "新风", "勤劳", "八一", "五一",
	"造纸厂", "化工厂", "机械厂", "纺织厂", "火柴厂", "糖厂", "水泥厂", "棉纺厂", "铁路", "煤矿",
	"河南街", "延吉西", "布尔哈通河", "烟集河", "帽儿山", "图们江", "浑江", "松花江", "辉发河", "东辽河",
}

// The kinds of project by their public-interest ground, with how their names end.
var projectKinds = []struct {
	suffix   string
	category string
	weight   int
}{
	{"片区棚户区改造项目", "affordable_housing", 40},
	{"旧城区改建项目", "old_city_renovation", 25},
	{"道路拓宽工程", "infrastructure", 10},
	{"地块保障性安居工程", "affordable_housing", 8},
	{"河道综合整治工程", "infrastructure", 5},
	{"学校扩建项目", "public_service", 5},
	{"医院新建项目", "public_service", 4},
	{"城中村改造项目", "old_city_renovation", 3},
}

var surnames = []rune("王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

var givenNames = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强淑珍凤兰")

var appraisers = []string{
	"吉林省华信房地产土地评估有限公司", "长春市正大房地产估价有限公司", "吉林省金诚资产评估有限公司",
	"吉林市恒信房地产评估有限责任公司", "延边诚信房地产估价有限公司", "四平市中天房地产评估有限公司",
	"吉林省中汇房地产土地资产评估有限公司", "通化市宏达房地产估价事务所",
}
