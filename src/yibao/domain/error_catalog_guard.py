"""The error codes of the system's guards: the area rule on a person outside one's area, passwords and sign-in
locks, and the limits on what a request may carry. Part of :data:`yibao.domain.error_catalog.CATALOG`; kept apart
so that neither file grows past what one reads at a sitting."""

from __future__ import annotations

GUARD_CATALOG: dict[str, tuple[str, str]] = {
    # A person registered outside the user's area: that the ID number is known is all they may learn (never a name,
    # township, phone or state), and their writes never touch that person (services/access.py, person_outside).
    "RESIDENT_ELSEWHERE": (
        "公民身份号码{number}已由其他镇（街）登记，本辖区不能查看或办理；如需在本辖区参保，请联系区医保局办理迁入",
        "ID number {number} is registered by another township; the district bureau transfers it first",
    ),
    "ENROLLED_ELSEWHERE": (
        "公民身份号码{number}本年度已在其他镇（街）参保登记，不能重复参保；如有疑问请联系区医保局",
        "ID number {number} is already enrolled this year by another township",
    ),
    "REASON_ELSEWHERE": (
        "公民身份号码{number}的未参保原因已由其他镇（街）登记，本辖区不能更改；如有疑问请联系区医保局",
        "another township has recorded the reason for ID number {number}; it is not changed from here",
    ),
    "RESIDENT_NAME_DIFFERS": (
        "公民身份号码{number}登记的姓名与“{given}”不符，请核实",
        "the name on record for ID number {number} is not '{given}'",
    ),
    "PASSWORD_WEAK": ("密码至少需要{minimum}个字符", "a password needs at least {minimum} characters"),
    "PASSWORD_HAS_USERNAME": ("密码不能包含用户名", "a password may not contain the username"),
    "PASSWORD_COMMON": (
        "该密码过于常见或简单（如连续数字、键盘顺序、重复字符），请换一个不易猜到的密码",
        "that password is too common or simple; choose one that is hard to guess",
    ),
    "PASSWORD_CURRENT_WRONG": ("当前密码不正确", "the current password is wrong"),
    "PASSWORD_UNCHANGED": ("新密码不能与当前密码相同", "the new password is the current one"),
    "PASSWORD_MISMATCH": ("两次输入的新密码不一致", "the two new passwords differ"),
    "USER_CHANGE_SELF": (
        "不能停用自己的账号或修改自己的角色，请由另一位管理员操作",
        "you may not stop your own account or change your own role; ask another admin",
    ),
    "TOKEN_UNKNOWN": ("没有编号为{id}的接口令牌", "no API token {id}"),
    "LOGIN_FORM_STALE": (
        "登录页面已过期，请刷新页面后重新登录",
        "the sign-in form is stale or came from elsewhere; reload it and sign in again",
    ),
    "LOGIN_LOCKED": (
        "该账号因连续{count}次密码错误已暂时锁定，请{minutes}分钟后再试，或请区医保局管理员解锁",
        "the account is locked after {count} wrong passwords; try again in {minutes} minutes or ask an admin",
    ),
    "LOGIN_THROTTLED": (
        "此地址登录失败次数过多，请{minutes}分钟后再试",
        "too many failed sign-ins from this address; try again in {minutes} minutes",
    ),
    "PAGE_NOT_FOUND": ("没有这个页面或接口：{path}", "no such page or endpoint: {path}"),
    "METHOD_NOT_ALLOWED": ("此地址不接受{method}请求", "this address does not take {method}"),
    "INTERNAL_ERROR": (
        "系统内部错误，本次操作未保存；请稍后重试，或将参考号{reference}告知技术支持",
        "internal error; nothing was saved (reference {reference})",
    ),
    "VALUE_OUT_OF_RANGE": (
        "输入的编号、数值或文字超出允许范围，请核对后重新提交",
        "a number, id or text in the request is beyond what it may be",
    ),
    "BODY_TOO_LARGE": (
        "提交的内容超过上限（{limit}MB）：文件请拆分后分别上传",
        "the request body is larger than {limit} MB",
    ),
    "SHEET_TOO_MANY_ROWS": (
        "文件“{name}”约有{rows}行，超过单个文件上限{limit}行：请按镇（街）或村（居）拆分后分别导入",
        "'{name}' has about {rows} rows, more than the {limit} a file may have; split it",
    ),
    "SHEET_TOO_LARGE": (
        "文件“{name}”解压后超过{limit}MB，不能作为一个表格导入：请拆分后分别导入",
        "'{name}' unzips to more than {limit} MB; split it",
    ),
}
