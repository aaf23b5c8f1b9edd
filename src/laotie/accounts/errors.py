from laotie.core.errors import ErrorKind

INVALID_PHONE = ErrorKind(
    "INVALID_PHONE",
    422,
    "手机号格式不正确（应为11位中国大陆手机号）",
    "Not a valid mainland China mobile number",
)
INVALID_EMAIL = ErrorKind("INVALID_EMAIL", 422, "邮箱格式不正确", "Not a valid e-mail address")
IDENTIFIER_REQUIRED = ErrorKind(
    "IDENTIFIER_REQUIRED", 422, "请填写手机号或邮箱", "Give a phone number or an e-mail address"
)
WEAK_PASSWORD = ErrorKind(
    "WEAK_PASSWORD",
    422,
    "密码至少8位，且须同时包含字母和数字",
    "Use at least 8 characters with letters and digits",
)
ACCOUNT_EXISTS = ErrorKind(
    "ACCOUNT_EXISTS", 409, "该手机号或邮箱已注册", "That phone or e-mail is already registered"
)
WRONG_CREDENTIALS = ErrorKind("WRONG_CREDENTIALS", 401, "账号或密码错误", "Wrong account or password")
ACCOUNT_DISABLED = ErrorKind("ACCOUNT_DISABLED", 403, "账号已停用", "This account is disabled")
TOO_MANY_LOGINS = ErrorKind(
    "TOO_MANY_LOGINS",
    429,
    "登录失败次数过多，请{retry_after}秒后再试",
    "Too many failed log-ins; retry in {retry_after} s",
)
USER_NOT_FOUND = ErrorKind("USER_NOT_FOUND", 404, "用户不存在", "User not found")
TOKEN_NOT_FOUND = ErrorKind("TOKEN_NOT_FOUND", 404, "登录凭证不存在", "Token not found")
ROLE_NOT_GRANTABLE = ErrorKind(
    "ROLE_NOT_GRANTABLE", 422, "该角色不能这样授予", "That role cannot be granted this way"
)
