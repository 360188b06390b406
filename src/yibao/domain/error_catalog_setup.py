"""The error codes of a bureau's set-up: its plans (policy files, the policy store), its campaigns, its villages and
organizations. Part of :data:`yibao.domain.error_catalog.CATALOG`; kept apart so that neither file grows past what
one reads at a sitting."""

from __future__ import annotations

SETUP_CATALOG: dict[str, tuple[str, str]] = {
    # Policies
    "POLICY_UNKNOWN": (
        "未找到参保政策“{policy}”，可用：{available}",
        "unknown policy '{policy}'; available: {available}",
    ),
    "POLICY_INVALID": (
        "政策文件{source}的{field}有误：{problem}",
        "policy file {source}, {field}: {problem}",
    ),
    "POLICY_ID_BUNDLED": (
        "“{policy}”是yibao内置方案的编号，请给本地的方案另起编号（如地区-年度）",
        "'{policy}' is the id of a plan bundled with yibao; give the bureau's plan an id of its own",
    ),
    "ORGANIZATION_NAME_REQUIRED": ("请填写单位名称", "the organization needs a name"),
    "ORGANIZATION_KIND_UNKNOWN": (
        "单位类型“{kind}”无效，可选：{allowed}",
        "unknown organization kind '{kind}'; allowed: {allowed}",
    ),
    "VILLAGE_NAME_REQUIRED": ("第{row}行没有村（居）名称", "row {row}: no village name"),
    "TOWNSHIP_UNKNOWN": (
        "第{row}行的镇（街）“{township}”不在本区县",
        "row {row}: township '{township}' is not in this district",
    ),
    "VILLAGE_CODE_INVALID": (
        "第{row}行的代码{value}不是{township}的村（居）代码（12位，前9位同镇街）",
        "row {row}: {value} is not a village code of {township} (12 digits, the township's first 9)",
    ),
    "VILLAGE_NAME_TAKEN": ("本镇（街）已有名为“{name}”的村（居）", "the township has a village named '{name}' already"),
    "VILLAGE_CODE_TAKEN": ("第{row}行的代码{value}已被其他村（居）使用", "row {row}: the code {value} is taken"),
    "DATABASE_MISSING": (
        "没有找到数据库 {url}。{hint}",
        "no database at {url}; run yibao db upgrade or set YIBAO_DATABASE_URL",
    ),
    "DATABASE_EMPTY": (
        "数据库 {url} 中还没有 yibao 的数据表。{hint}",
        "the database {url} holds no yibao tables; run yibao db upgrade",
    ),
    "DATABASE_VERSION": (
        "数据库 {url} 的版本（{current}）与本程序（{head}）不一致：请先运行 yibao db upgrade",
        "the database {url} is at revision {current}, the program at {head}: run yibao db upgrade",
    ),
    "CAMPAIGN_NONE_OPEN": (
        "区县{district}在{day}没有开展中的参保缴费工作，请区医保局先开启年度",
        "district {district} has no campaign open on {day}; the district admin opens one",
    ),
    "CAMPAIGN_EXISTS": (
        "{year}年度的参保缴费工作已按方案“{policy}”开启；更正方案请添加修订版",
        "the {year} campaign is already open under '{policy}'; correct the plan by a revision",
    ),
    # Plan what-if (测算)
    "SIMULATION_UNKNOWN": ("没有找到编号为{id}的测算报告", "no simulation report {id}"),
    "SIMULATION_NO_BASE": (
        "{year}年度没有可供测算的参保人员（请先办理参保登记，或选择包含未参保登记人员）",
        "no one to simulate over in {year}",
    ),
    "SIMULATION_TIER_UNKNOWN": (
        "草案“{policy}”没有缴费档次“{tier}”，可选：{allowed}",
        "the draft '{policy}' has no tier '{tier}'; allowed: {allowed}",
    ),
    "SIMULATION_SHARE_INVALID": (
        "转移比例应在0到1之间（如0.1表示10%），收到：{value}",
        "the share moving between tiers must lie between 0 and 1, got {value}",
    ),
    "SIMULATION_PERSONS_GONE": (
        "测算报告{id}的人员明细文件已不在本服务器上，请重新测算",
        "the person list of simulation {id} is no longer on this server; run it again",
    ),
    "SIMULATION_DAY_OUTSIDE": (
        "草案登记日{day}不在草案“{policy}”的适用期间（{start}至{end}）内",
        "the draft's registration day {day} is outside the period of '{policy}' ({start} to {end})",
    ),
    "SIMULATION_FORMAT": (
        "测算报告格式“{format}”无效：可选 pdf 或 xlsx",
        "simulation report format '{format}' must be pdf or xlsx",
    ),
    "SIMULATION_TIER_RULE_UNKNOWN": (
        "档次假设“{rule}”无效，可选：{allowed}",
        "unknown tier rule '{rule}'; allowed: {allowed}",
    ),
    "CAMPAIGN_UNKNOWN": (
        "区县{district}没有{year}年度的参保缴费工作",
        "district {district} has no campaign for {year}",
    ),
    "POLICY_UNREADABLE": (
        "无法读取政策文件{source}：{problem}",
        "cannot read policy file {source}: {problem}",
    ),
    "POLICY_CITATION_NOT_FOUND": (
        "政策文件{source}的{field}所引原文在文件{document}中找不到：{text}",
        "policy file {source}, {field}: the quoted text is not in {document}: {text}",
    ),
    "POLICY_SILENT": (
        "政策“{policy}”未规定{what}，无法计算",
        "policy '{policy}' does not say {what}; cannot compute",
    ),
    "GOAL_NOT_STATISTICAL": (
        "参保率目标“{goal}”不以统计数为基数，无需导入；以统计数为基数的目标：{allowed}",
        "coverage goal '{goal}' is not measured against a statistical count; such goals: {allowed}",
    ),
    "BASE_SOURCE_REQUIRED": ("请填写统计数的来源（如：县统计局2016年末农业人口）", "say where the count comes from"),
    "BASE_UNIT_UNKNOWN": ("“{value}”不是本区（县）的镇（街）", "'{value}' is no township of the district"),
    "BASE_UNIT_TWICE": ("“{value}”在表中出现了两次", "'{value}' appears twice in the sheet"),
    "BASE_FIGURE": ("人数“{value}”无效：应为不小于0的整数", "count '{value}' must be a whole number of persons"),
    "SETTING_UNKNOWN": ("就医场景“{value}”无效，可选：{allowed}", "unknown setting '{value}'; allowed: {allowed}"),
    "SETTING_SERVICE": ("{setting}不适用于住院费用", "a {setting} claim is not an inpatient one"),
}
