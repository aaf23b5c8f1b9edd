from laotie.core.errors import FILE_TOO_LARGE as FILE_TOO_LARGE  # shared code, re-exported
from laotie.core.errors import ErrorKind

SHOP_NOT_FOUND = ErrorKind("SHOP_NOT_FOUND", 404, "店铺不存在", "Shop not found")
NOT_SHOP_MEMBER = ErrorKind("NOT_SHOP_MEMBER", 403, "你不是该店铺的成员", "You are not a member of this shop")
NOT_SHOP_OWNER = ErrorKind("NOT_SHOP_OWNER", 403, "只有店主可以进行此操作", "Only the shop owner may do this")
SHOP_NAME_TAKEN = ErrorKind("SHOP_NAME_TAKEN", 409, "店铺名称已被使用", "That shop name is taken")
DUPLICATE_LICENCE = ErrorKind(
    "DUPLICATE_LICENCE",
    409,
    "该营业执照号已被其他店铺使用",
    "That business licence number is already used by another shop",
)
ALREADY_APPLIED = ErrorKind(
    "ALREADY_APPLIED", 409, "你已有一个正在审核的开店申请", "You already have a shop application in progress"
)
INVALID_TRANSITION = ErrorKind(
    "INVALID_TRANSITION",
    409,
    "店铺当前状态为{from_status}，不能变更为{to_status}",
    "A {from_status} shop cannot become {to_status}",
)
SHOP_NOT_OPEN = ErrorKind(
    "SHOP_NOT_OPEN", 409, "店铺未营业（当前状态：{status}）", "The shop is not open (status: {status})"
)
SHOP_FROZEN = ErrorKind("SHOP_FROZEN", 403, "店铺已被冻结", "The shop is frozen")
REASON_REQUIRED = ErrorKind("REASON_REQUIRED", 422, "请填写原因", "A reason is required")
SHOP_CLOSED = ErrorKind("SHOP_CLOSED", 409, "店铺已关闭", "The shop is closed")
WITHDRAWALS_ALREADY_FROZEN = ErrorKind(
    "WITHDRAWALS_ALREADY_FROZEN", 409, "该店铺的提现已被冻结", "This shop's withdrawals are already frozen"
)
WITHDRAWALS_NOT_FROZEN = ErrorKind(
    "WITHDRAWALS_NOT_FROZEN", 409, "该店铺的提现未被冻结", "This shop's withdrawals are not frozen"
)

# Application checks (0元开店): refused before anything is written.
LICENCE_REQUIRED = ErrorKind(
    "LICENCE_REQUIRED",
    422,
    "企业和个体工商户须填写营业执照上的统一社会信用代码",
    "Companies and individual businesses must give the unified social credit code from their licence",
)
LICENCE_NOT_ALLOWED = ErrorKind(
    "LICENCE_NOT_ALLOWED",
    422,
    "个人店铺无需填写营业执照号；如有营业执照，请选择企业或个体工商户",
    "A personal shop has no licence number; choose company or individual business if you hold a licence",
)
INVALID_LICENCE = ErrorKind(
    "INVALID_LICENCE",
    422,
    "统一社会信用代码不正确（应为18位，且校验位正确）",
    "Not a valid unified social credit code (18 characters with a correct check character)",
)
LICENCE_ENTITY_MISMATCH = ErrorKind(
    "LICENCE_ENTITY_MISMATCH",
    422,
    "统一社会信用代码与主体类型不符（应以{expected_prefix}开头）",
    "The credit code does not match the entity type (it should start with {expected_prefix})",
)
APPLICATION_NOT_EDITABLE = ErrorKind(
    "APPLICATION_NOT_EDITABLE",
    409,
    "只有被驳回的开店申请可以修改后重新提交",
    "Only a rejected application can be edited and resubmitted",
)
MISSING_QUALIFICATIONS = ErrorKind(
    "MISSING_QUALIFICATIONS",
    409,
    "主营类目所需资质未上传或已过期：{missing_text}",
    "Documents required by the main category are missing or expired: {missing_text}",
)

# Documents (资质 / 品牌授权).
UNKNOWN_DOCUMENT_KIND = ErrorKind(
    "UNKNOWN_DOCUMENT_KIND", 422, "不支持的资质类型：{kind}", "Unknown document kind: {kind}"
)
EMPTY_FILE = ErrorKind("EMPTY_FILE", 422, "文件为空", "The file is empty")
UNSUPPORTED_FILE_TYPE = ErrorKind(
    "UNSUPPORTED_FILE_TYPE",
    415,
    "仅支持PDF、JPEG、PNG、WebP格式的文件",
    "Only PDF, JPEG, PNG and WebP files are accepted",
)
INVALID_PDF = ErrorKind(
    "INVALID_PDF",
    422,
    "PDF文件已损坏、加密或页数不符（1至50页），请重新导出后上传",
    "The PDF is damaged, encrypted or has no pages or too many (1 to 50); export it again",
)
BRAND_REQUIRED = ErrorKind(
    "BRAND_REQUIRED", 422, "品牌授权书须填写品牌名称", "A brand authorisation needs the brand name"
)
BRAND_NOT_EXPECTED = ErrorKind(
    "BRAND_NOT_EXPECTED",
    422,
    "只有品牌授权书需要填写品牌名称",
    "Only a brand authorisation carries a brand name",
)
DOCUMENT_EXPIRED = ErrorKind("DOCUMENT_EXPIRED", 422, "该文件已过有效期", "The document has already expired")
DOCUMENT_NOT_FOUND = ErrorKind("DOCUMENT_NOT_FOUND", 404, "文件不存在", "Document not found")

# Members.
ALREADY_MEMBER = ErrorKind("ALREADY_MEMBER", 409, "该用户已是店铺成员", "That user is already a member")
MEMBER_NOT_FOUND = ErrorKind("MEMBER_NOT_FOUND", 404, "该用户不是店铺成员", "That user is not a member")
CANNOT_REMOVE_OWNER = ErrorKind(
    "CANNOT_REMOVE_OWNER", 422, "不能移除店主", "The owner cannot be removed from the shop"
)
TOO_MANY_MEMBERS = ErrorKind(
    "TOO_MANY_MEMBERS",
    422,
    "店铺子账号已达上限（{limit}个）",
    "The shop already has the most staff allowed ({limit})",
)
