from laotie.core.errors import ErrorKind

TEMPLATE_NOT_FOUND = ErrorKind(
    "SHIPPING_TEMPLATE_NOT_FOUND", 404, "运费模板不存在", "Shipping template not found"
)
INVALID_TEMPLATE = ErrorKind(
    "INVALID_SHIPPING_TEMPLATE", 422, "运费模板有误：{reason}", "The shipping template is invalid: {reason}"
)
REGION_NOT_SERVED = ErrorKind(
    "REGION_NOT_SERVED",
    409,
    "该地区不配送：店铺不发货到{province_name}",
    "This shop does not deliver to {province_name}",
)
UNKNOWN_CARRIER = ErrorKind(
    "UNKNOWN_CARRIER", 422, "不支持的快递公司：{carrier}", "Unknown carrier: {carrier}"
)
INVALID_TRACKING_NO = ErrorKind(
    "INVALID_TRACKING_NO",
    422,
    "{carrier_name}运单号格式不正确：{tracking_no}",
    "Not a valid {carrier_name} tracking number: {tracking_no}",
)
ALREADY_SHIPPED = ErrorKind(
    "ALREADY_SHIPPED", 409, "该订单已发货，不能重复发货", "This order has already shipped"
)
SHIPMENT_NOT_FOUND = ErrorKind("SHIPMENT_NOT_FOUND", 404, "暂无物流信息", "No shipment for this order")
TEMPLATE_IN_USE = ErrorKind(
    "SHIPPING_TEMPLATE_IN_USE",
    409,
    "还有{products}个商品使用该运费模板，请先为它们更换模板",
    "{products} products still use this template; move them first",
)
TRACKING_NO_IN_USE = ErrorKind(
    "TRACKING_NO_IN_USE", 409, "该运单号已用于其他订单", "This tracking number was used for another order"
)
SANDBOX_CARRIER_DISABLED = ErrorKind(
    "SANDBOX_CARRIER_DISABLED",
    404,
    "未启用沙箱物流：只有沙箱承运商的包裹可以快进",
    "The sandbox carrier network is not configured: only sandbox parcels can be advanced",
)
SANDBOX_STAGE_INVALID = ErrorKind(
    "SANDBOX_STAGE_INVALID", 422, "快进目标只能是 {stages}", "Advance to one of {stages}"
)
