"""The catalog of error codes: each with its Chinese message and the English beside it. Codes never change meaning
once published; the messages are str.format templates filled with the error's params (see :mod:`.errors`)."""

from __future__ import annotations

from yibao.domain.error_catalog_guard import GUARD_CATALOG
from yibao.domain.error_catalog_process import PROCESS_CATALOG
from yibao.domain.error_catalog_setup import SETUP_CATALOG

# code -> (Chinese template, English template). Templates use str.format with the error's params.
CATALOG: dict[str, tuple[str, str]] = {
    # Resident ID numbers (GB 11643)
    "ID_NUMBER_FORMAT": (
        "公民身份号码格式错误：应为18位（前17位数字，末位数字或X）或15位数字",
        "ID number must be 18 characters (17 digits and a digit or X) or 15 digits",
    ),
    "ID_NUMBER_BIRTH_DATE": (
        "公民身份号码中的出生日期{birth}不是有效日期",
        "the birth date {birth} in the ID number is not a real date",
    ),
    "ID_NUMBER_BIRTH_FUTURE": (
        "公民身份号码中的出生日期{birth}晚于{on}",
        "the birth date {birth} in the ID number is after {on}",
    ),
    "ID_NUMBER_CHECK_DIGIT": (
        "公民身份号码校验码错误：末位应为{expected}",
        "ID number check digit is wrong: the last character should be {expected}",
    ),
    "ID_NUMBER_STORED_AS_NUMBER": (
        "公民身份号码“{value}”被表格存成了数字，末几位已丢失（表格软件只保留15位有效数字）："
        "请把该列设为“文本”格式，再录入完整号码",
        "the ID number '{value}' was stored as a number by the spreadsheet and its last digits are lost; "
        "format the column as text and type the whole number again",
    ),
    # Warnings about ID numbers: never a rejection
    "ID_REGION_HISTORICAL": (
        "地区码{region}（{name}）已撤销或变更，号码仍有效",
        "region code {region} ({name}) has been abolished or renamed; the number stays valid",
    ),
    "ID_REGION_UNKNOWN": (
        "地区码{region}不在行政区划代码表中，请核实",
        "region code {region} is not in the administrative division code list; please verify",
    ),
    "ID_NUMBER_UPGRADED": (
        "15位公民身份号码已升位为{number}",
        "the 15-digit ID number was upgraded to {number}",
    ),
    # A bureau's plans, campaigns, villages and organizations
    **SETUP_CATALOG,
    **GUARD_CATALOG,
    **PROCESS_CATALOG,
    # Inputs to a quote or a reimbursement
    "DATE_OUTSIDE_POLICY": (
        "{what}{value}不在政策“{policy}”的适用期间（{start}至{end}）内，请用 --as-of 指定登记日期",
        "{what} {value} is outside the period of policy '{policy}' ({start} to {end}); set --as-of",
    ),
    "DATETIME_INVALID": (
        "时间“{value}”无法识别，请用 ISO 8601 格式，如 2018-02-23T16:59:00+08:00",
        "cannot read the time '{value}'; use ISO 8601",
    ),
    "PAID_BEFORE_REGISTERED": (
        "缴费时间{paid}早于登记时间{registered}",
        "payment time {paid} is before registration {registered}",
    ),
    "CATEGORY_UNKNOWN": (
        "人员类别“{value}”无效，可选：{allowed}",
        "unknown category '{value}'; allowed: {allowed}",
    ),
    "TIER_UNKNOWN": (
        "政策“{policy}”没有缴费档次“{value}”，可选：{allowed}",
        "policy '{policy}' has no tier '{value}'; allowed: {allowed}",
    ),
    "IDENTITY_UNKNOWN": (
        "身份类别“{value}”无效，可选：{allowed}",
        "unknown identity '{value}'; allowed: {allowed}",
    ),
    "CHANNEL_UNKNOWN": (
        "参保渠道“{value}”无效，可选：{allowed}",
        "unknown channel '{value}'; allowed: {allowed}",
    ),
    "RESIDENCY_UNKNOWN": (
        "户籍类型“{value}”无效，可选：{allowed}",
        "unknown residency '{value}'; allowed: {allowed}",
    ),
    "SERVICE_UNKNOWN": (
        "就医类型“{value}”无效，可选：{allowed}",
        "unknown service '{value}'; allowed: {allowed}",
    ),
    "BENEFIT_TIER_UNKNOWN": (
        "政策“{policy}”没有待遇档次“{value}”，可选：{allowed}",
        "policy '{policy}' has no benefit tier '{value}'; allowed: {allowed}",
    ),
    "HOSPITAL_LEVEL_INVALID": (
        "医院等级应为1、2或3，收到“{value}”",
        "hospital level must be 1, 2 or 3, got '{value}'",
    ),
    # The system of record
    "AREA_UNKNOWN": ("没有代码为{area}的{level}", "no {level} with code {area}"),
    "HOUSEHOLD_HEAD": ("一户应有且只有一名户主，现有{count}名", "a household needs exactly one head, found {count}"),
    "HOUSEHOLD_EMPTY": ("户内没有成员", "the household has no members"),
    "DUPLICATE_IN_REQUEST": (
        "第{row}行的公民身份号码与第{first}行重复",
        "row {row} repeats the ID number of row {first}",
    ),
    "RESIDENCY_DIFFERS": (
        "户籍类别登记为“{registered}”，与填写的“{given}”不符；如已变化，请先办理信息变更",
        "residency is registered as '{registered}', not '{given}'; record the change first",
    ),
    "RESIDENT_NAME_MISMATCH": (
        "公民身份号码{number}已登记为“{registered}”，与“{given}”不符，请核实",
        "ID number {number} is registered as '{registered}', not '{given}'; please check",
    ),
    "ALREADY_ENROLLED": (
        "{number}已在{township}参加{year}年度居民医保（{state}），不能重复参保",
        "{number} is already enrolled for {year} in {township} ({state})",
    ),
    "NOT_ELIGIBLE": ("第{row}行{name}不能参保：{reason}", "row {row}, {name}: not eligible: {reason_en}"),
    "VILLAGE_UNKNOWN": ("{township}没有代码为{area}的村（居）", "{township} has no village with code {area}"),
    "POLICY_OTHER_DISTRICT": (
        "政策“{policy}”适用于{region}，不适用于{township}",
        "policy '{policy}' is for {region}, not for {township}",
    ),
    "RESIDENT_NOT_FOUND": ("没有找到该参保人员（编号{id}）", "no resident {id} (or not in your area)"),
    "ENROLLMENT_NOT_FOUND": ("没有找到该参保登记（编号{id}）", "no enrollment {id} (or not in your area)"),
    "HOUSEHOLD_NOT_FOUND": ("没有找到该户（编号{id}）", "no household {id} (or not in your area)"),
    "ORGANIZATION_UNKNOWN": ("没有编号为{id}的学校或机构", "no organization {id}"),
    "STALE_RECORD": (
        "该记录已被他人修改（当前版本{current}，您看到的是版本{expected}），请刷新后重试",
        "the record was changed by someone else (now version {current}, you saw {expected}); reload and retry",
    ),
    "SURVIVAL_STATUS_UNKNOWN": (
        "生存状态“{value}”无效，可选：{allowed}",
        "unknown survival status '{value}'; allowed: {allowed}",
    ),
    "NAME_REQUIRED": ("请填写姓名", "a name is required"),
    "NAME_INVALID": (
        "姓名“{value}”无效：应为2至40个汉字或字母，可含间隔号“·”，不能有数字或其他符号",
        "name '{value}' must be 2 to 40 Chinese characters or letters (with · allowed), no digits or other signs",
    ),
    "RESIDENT_EXISTS": (
        "公民身份号码{number}已在{township}登记，请查询后办理",
        "ID number {number} is already registered in {township}; look it up instead",
    ),
    "REQUEST_INVALID": ("请求内容有误：{field}（{problem}）", "invalid request: {field} ({problem})"),
    "NOTHING_TO_CHANGE": ("没有需要变更的信息", "nothing to change"),
    "REASON_REQUIRED": ("请填写变更或注销原因", "a reason is required"),
    "ID_NUMBER_TAKEN": (
        "公民身份号码{number}已属于另一名参保人员（{name}），不能更正为该号码",
        "ID number {number} already belongs to another resident ({name})",
    ),
    "ENROLLMENT_STATE": (
        "参保登记当前为“{state}”，不能{action}{hint}",
        "the enrollment is '{state_en}'; cannot {action_en}",
    ),
    "RENEWAL_YEAR": (
        "续保须从上一年度转入：政策“{policy}”为{year}年度，来源年度为{from_year}",
        "renewal carries the previous year forward: policy '{policy}' is {year}, source year is {from_year}",
    ),
    # Rosters (电子名册)
    "ROSTER_FILE_KIND": (
        "文件“{name}”不是名册格式：请上传 .xlsx 或 .csv 文件（大型部门名单也可用 .parquet）",
        "'{name}' is not a roster: upload .xlsx or .csv (.parquet for large department lists)",
    ),
    "ROSTER_FILE_UNREADABLE": ("无法读取文件“{name}”：{detail}", "cannot read '{name}': {detail}"),
    "ROSTER_NO_HEADER": (
        "文件“{name}”前{rows}行中没有找到“{column}”列的表头",
        "no header naming a '{column}' column in the first {rows} rows of '{name}'",
    ),
    "ROSTER_COLUMNS_MISSING": ("文件缺少必填列：{columns}", "the file lacks required columns: {columns}"),
    "ROSTER_EMPTY": ("名册“{name}”没有数据行", "roster '{name}' has no data rows"),
    "DUPLICATE_IN_FILE": ("公民身份号码与第{first}行重复", "the same ID number as row {first}"),
    "TOWNSHIP_MISMATCH": (
        "镇（街）“{value}”与导入的镇（街）“{township}”不符",
        "township '{value}' is not the township imported into ({township})",
    ),
    "VILLAGE_NOT_FOUND": ("{township}没有名为或代码为“{value}”的村（居）", "{township} has no village '{value}'"),
    "PHONE_INVALID": ("联系电话“{value}”格式不正确", "phone number '{value}' is not valid"),
    "SEX_MISMATCH": ("性别“{value}”与公民身份号码不符", "sex '{value}' does not match the ID number"),
    "BIRTH_DATE_MISMATCH": ("出生日期“{value}”与公民身份号码不符", "birth date '{value}' does not match the ID number"),
    "HOUSEHOLD_HEADS": (
        "户号“{household}”有{count}名户主，一户只能有一名户主",
        "household '{household}' has {count} heads",
    ),
    "HOUSEHOLD_NO_HEAD": (
        "户号“{household}”没有户主：请在“与户主关系”中标明户主",
        "household '{household}' has no head: mark one as 户主",
    ),
    "HOUSEHOLD_DIFFERS": (
        "此人已登记在户号“{registered}”，名册填写的户号是“{given}”：请改为“{registered}”或留空（名册不办理迁户）",
        "this person is registered in household '{registered}', the roster says '{given}': write '{registered}' "
        "or leave it empty (a roster does not move people between households)",
    ),
    "ENROLLMENT_FIXED": (
        "{year}年度参保登记已{state}，缴费档次、人员类别或特殊身份不能再通过名册变更",
        "the {year} enrollment is {state_en}: tier, category and identities no longer change by roster",
    ),
    "POLICY_NONE_FOR_DISTRICT": (
        "区县{district}没有当前参保年度的实施方案",
        "no plan of district {district} for this campaign",
    ),
    # Department lists (部门名单)
    "DEPARTMENT_UNKNOWN": (
        "没有部门“{department}”，可选：{allowed}",
        "no department '{department}'; allowed: {allowed}",
    ),
    "IDENTITY_REQUIRED": (
        "请填写身份类别，或在导入时指定整份名单的身份类别",
        "give the identity in the file, or for the whole list when importing",
    ),
    "IDENTITY_NOT_OF_DEPARTMENT": (
        "身份类别“{value}”不由{department}认定，可选：{allowed}",
        "identity '{value}' is not certified by {department}; allowed: {allowed}",
    ),
    "DATE_INVALID": ("日期“{value}”无法识别，请写作 2018-01-01", "cannot read the date '{value}'; write 2018-01-01"),
    "VALIDITY_ORDER": ("有效期止“{value}”早于有效期起", "the end of validity {value} is before its start"),
    "RESIDENT_NOT_REGISTERED": (
        "系统中没有公民身份号码为{number}的人员，身份未记录：请先办理参保登记，再重新导入本名单",
        "no resident with ID number {number}: the identity is not recorded; enroll them, then import again",
    ),
    "SUBSIDY_AFTER_BILLING": (
        "{name}的{year}年度参保登记已{state}，不再自动重新核定资助，请人工处理（如退费）",
        "{name}'s {year} enrollment is {state_en}: not re-assessed automatically; handle it by hand (e.g. a refund)",
    ),
    # Exports
    "EXPORT_FORMAT": ("导出格式“{format}”无效：可选 xlsx 或 csv", "export format '{format}' must be xlsx or csv"),
    "EXPORT_KIND": (
        "没有名为“{kind}”的导出：可选 enrollments（参保登记名册）或 assessments（核定缴费清单）",
        "no export '{kind}': enrollments or assessments",
    ),
    # Background jobs
    "JOB_NOT_FOUND": ("没有编号为{job}的任务", "no job {job}"),
    "JOB_NO_FILE": ("任务{job}没有可下载的文件（尚未完成、失败或无错误）", "job {job} has no file to download"),
    "JOB_FAILED": (
        "任务意外中止（{detail}），请联系系统管理员；数据未作改动",
        "the job failed ({detail}); nothing was changed",
    ),
    # Users and access
    "USER_UNKNOWN": ("没有用户“{username}”，或该账号已停用", "no active user '{username}'"),
    "FORBIDDEN": ("{role}无权{action}", "role {role_en} may not do this"),
    "CHANNEL_NOT_ALLOWED": (
        "{role}只能通过本单位（{organization}）办理参保，渠道应为“{allowed}”",
        "this user enrolls only through its own organization ({organization}), channel '{allowed}'",
    ),
    "LOGIN_FAILED": ("用户名或密码错误，或账号已停用", "wrong username or password, or the account is disabled"),
    "TOKEN_INVALID": ("登录已失效，请重新登录", "the token is missing, expired or revoked; sign in again"),
    "USERNAME_TAKEN": ("用户名“{username}”已被使用", "username '{username}' is taken"),
    "USERNAME_INVALID": (
        "用户名应为3至32位字母、数字、点、横线或下划线",
        "a username is 3 to 32 letters, digits, dots, dashes or underscores",
    ),
    "ROLE_UNKNOWN": ("角色“{role}”不存在", "no role '{role}'"),
    "USER_AREA_INVALID": (
        "角色“{role}”的所属区域应为{expected}，收到{area}",
        "role {role_en} needs {expected_en} as its area, got {area}",
    ),
    "AMOUNT_INVALID": (
        "金额“{value}”无效：应为不小于0的整数（分）",
        "amount '{value}' must be a whole number of fen, 0 or more",
    ),
    # Money: notices, payments, reversals, refunds, collection batches
    "NOTICE_NOT_FOUND": ("没有找到缴费通知单{number}", "no payment notice {number} (or not in your area)"),
    "NOTHING_TO_NOTIFY": (
        "没有需要缴费的参保登记：须先核定（当前：{states}）",
        "nothing to bill: enrollments must be assessed first (now: {states})",
    ),
    "NOTICE_VOID": (
        "缴费通知单{number}已作废（{reason}），请按新通知单缴费",
        "payment notice {number} was voided ({reason}); pay on the new notice",
    ),
    "PAYMENT_CHANNEL_UNKNOWN": (
        "缴费渠道“{channel}”无效，可选：{available}",
        "unknown payment channel '{channel}'; allowed: {available}",
    ),
    "PAYMENT_AMOUNT": ("缴费金额应大于0元", "a payment must be more than 0"),
    "TRANSACTION_ID_REQUIRED": (
        "{channel}缴费须填写交易流水号（同一流水号只记一次）",
        "a {channel_en} payment needs the channel's transaction id (one id is recorded once)",
    ),
    "PAYMENT_TARGET": (
        "请指定缴费通知单号或参保登记编号（二者选一）",
        "give a notice number or an enrollment id (one of them)",
    ),
    "PAYMENT_CONFLICT": (
        "{channel}交易流水号{transaction_id}已登记为另一笔缴费（{amount}元，{target}），与本次不符",
        "{channel_en} transaction {transaction_id} is already recorded as another payment ({amount}, {target})",
    ),
    "PAYMENT_REFUSED": (
        "{name}于{paid_at}缴费不被受理：{reason}",
        "{name}: a payment at {paid_at} is not accepted: {reason_en}",
    ),
    "PAYMENT_NOT_FOUND": ("没有找到该笔缴费（编号{id}）", "no payment {id} (or not in your area)"),
    "PAYMENT_NOT_REVERSIBLE": (
        "该笔缴费不能冲正：{reason}",
        "this payment cannot be reversed: {reason_en}",
    ),
    "REFUND_EXCEEDS": (
        "退费金额{amount}元超过该笔缴费待退的{available}元",
        "refund of {amount} exceeds the {available} this payment has to refund",
    ),
    "PDF_FONT_MISSING": (
        "无法生成PDF：本机没有中文字体（{font}）。请安装 fonts-wqy-microhei，或用 YIBAO_CJK_FONT 指定字体文件",
        "no Chinese font on this machine ({font}) to make the PDF: install fonts-wqy-microhei or set YIBAO_CJK_FONT",
    ),
    "YUAN_INVALID": (
        "金额“{value}”无效：应以元为单位，最多两位小数（如 440 或 440.50）",
        "amount '{value}' must be in yuan with at most two decimals (e.g. 440 or 440.50)",
    ),
    "BATCH_EMPTY": ("代收批次没有人员", "a collection batch lists nobody"),
    "BATCH_MISMATCH": (
        "代收批次人款不符：上缴{total}元，名单合计应缴{due}元；金额不符{count}人：{people}",
        "collection batch does not balance: {total} handed in, {due} due; {count} people differ: {people}",
    ),
    "BATCH_DUPLICATE_PERSON": (
        "代收批次中参保登记{id}出现了两次",
        "enrollment {id} appears twice in the collection batch",
    ),
    # Progress
    "TARGET_FIGURE": (
        "任务数“{value}”无效：应为不小于0的整数（人）",
        "target '{value}' must be a whole number of persons",
    ),
    "TARGET_UNIT_UNKNOWN": (
        "{year}年度任务指标中没有可对应到单位的“{unit}”（只有单位或未对应镇（街）的任务可以对应到学校或机构）",
        "no institution or unmatched target unit '{unit}' in {year}",
    ),
    "BULLETIN_FORMAT": (
        "通报格式“{format}”无效：可选 xlsx、csv 或 pdf",
        "bulletin format '{format}': xlsx, csv or pdf",
    ),
    # Statements (对账单) and reconciliation
    "STATEMENT_LAYOUT_UNKNOWN": (
        "列对应中的字段{keys}不存在，可用：{available}",
        "the column mapping names unknown fields {keys}; available: {available}",
    ),
    "TRANSACTION_ID_MISSING": ("缺少交易流水号", "the transaction id is missing"),
    "STATEMENT_KIND_UNKNOWN": (
        "交易类型“{value}”无法识别：应为收款或冲正",
        "unknown transaction kind '{value}': a payment or a reversal",
    ),
    "ORIGINAL_TRANSACTION_REQUIRED": (
        "冲正交易{value}须注明原交易流水号",
        "reversal {value} must name the transaction it reverses",
    ),
    "STATEMENT_INVALID": (
        "对账单“{name}”有{count}行错误，未导入：请按错误清单改正后重新导入",
        "statement '{name}' has {count} bad rows and was not imported: correct them and import it again",
    ),
    "STATEMENT_NOT_FOUND": ("没有找到对账单（编号{id}）", "no statement {id}"),
    "LINE_NOT_FOUND": ("没有找到对账单明细（编号{id}）", "no statement line {id}"),
    "LINE_NOT_OPEN": (
        "该明细当前为“{state}”，无需处理",
        "this line is '{state_en}': nothing to resolve",
    ),
    # Cross-checks (信息比对)
    "VALUE_REQUIRED": ("请填写{column}", "{column} is required"),
    "DATE_IN_FUTURE": ("日期“{value}”晚于今天", "the date '{value}' is after today"),
    "INSURANCE_TYPE_UNKNOWN": (
        "险种“{value}”无法识别：应为390（城乡居民基本医疗保险）或310（职工基本医疗保险）",
        "insurance type '{value}' is unknown: 390 (residents) or 310 (employees)",
    ),
    "TOWNSHIP_NAME_UNKNOWN": ("本区没有名为“{value}”的镇（街）", "the district has no township named '{value}'"),
    "VILLAGE_NAME_UNKNOWN": ("{township}没有名为“{value}”的村（居）", "{township} has no village named '{value}'"),
    "REFERENCE_KIND_UNKNOWN": (
        "名单种类“{kind}”无效，可选：{allowed}",
        "list kind '{kind}' is unknown; one of {allowed}",
    ),
    "REFERENCE_YEAR_REQUIRED": (
        "{kind}名单须注明所属参保年度",
        "a {kind_en} list needs the insurance year it is about",
    ),
    "CROSSCHECK_ENGINE_UNKNOWN": (
        "比对引擎“{engine}”无效，可选：{allowed}",
        "cross-check engine '{engine}' is unknown; one of {allowed}",
    ),
    "CROSSCHECK_ENGINE_UNAVAILABLE": (
        "比对引擎“{engine}”不可用：{reason}",
        "cross-check engine '{engine}' is unavailable: {reason}",
    ),
    "FINDING_NOT_FOUND": ("没有编号为{finding}的比对结果", "no finding {finding}"),
    "FINDING_STATUS_UNKNOWN": (
        "处理状态“{status}”无效，可选：{allowed}",
        "follow-up status '{status}' is unknown; one of {allowed}",
    ),
    "REASON_UNKNOWN": ("未参保原因“{reason}”无效，可选：{allowed}", "reason '{reason}' is unknown; one of {allowed}"),
    "BREAKDOWN_UNKNOWN": ("明细维度“{value}”无效，可选：{allowed}", "breakdown '{value}' is unknown; one of {allowed}"),
    "WORKLIST_FORMAT": ("核查清单格式“{value}”无效：可选 xlsx 或 csv", "worklist format '{value}': xlsx or csv"),
    "REASON_NOTE_REQUIRED": ("原因为“其他”时须填写说明", "the reason 'other' needs a note"),
    "REASON_NOT_FOUND": ("没有编号为{reason_id}的未参保原因登记", "no non-enrollment reason {reason_id}"),
    "REASON_ALREADY_ENROLLED": (
        "{name}（{number}）已参加{year}年度居民医保，无需登记未参保原因",
        "{name} ({number}) is enrolled for {year}: no reason for non-enrollment to record",
    ),
}
