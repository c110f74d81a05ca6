//===- KilnDialect.cpp - The kiln dialect ---------------------------------===//

#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::kiln;

#include "dialects/kiln/KilnDialect.cpp.inc"

#include "dialects/kiln/KilnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/kiln/KilnAttrs.cpp.inc"

void KilnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/kiln/KilnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/kiln/KilnAttrs.cpp.inc"
      >();
}

Operation *KilnDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// KernelConfigAttr
//===----------------------------------------------------------------------===//

/// `host`, or `sm_` followed by a compute capability such as 80 or 90a.
static bool isKnownArch(StringRef arch) {
  if (arch == "host")
    return true;
  if (!arch.consume_front("sm_"))
    return false;
  arch.consume_back("a");
  unsigned capability;
  return !arch.getAsInteger(10, capability) && capability >= 50 &&
         capability < 1000;
}

LogicalResult
KernelConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         StringRef arch, int64_t profile,
                         StringRef templateName, ArrayRef<int64_t> tile,
                         int64_t stages, int64_t warps) {
  if (!isKnownArch(arch))
    return emitError() << "arch must be `host` or `sm_XX`, got '" << arch
                       << "'";
  if (profile < 0)
    return emitError() << "profile index must be non-negative, got " << profile;
  if (templateName.empty())
    return emitError() << "template name must not be empty";
  if (tile.empty())
    return emitError() << "tile must not be empty";
  for (int64_t size : tile)
    if (size <= 0)
      return emitError() << "tile sizes must be positive, got " << size;
  if (stages < 1)
    return emitError() << "stages must be at least 1, got " << stages;
  if (warps < 1 || warps > 32)
    return emitError() << "warps must be in [1, 32], got " << warps;
  return success();
}
