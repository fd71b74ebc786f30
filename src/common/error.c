/* Error names and messages, generated from the one list in doppel.h. */
#include "doppel.h"

const char *dpl_errname(int err)
{
    switch (err) {
    case DPL_OK:
        return "DPL_OK";
#define DPL__ERR_NAME(name, msg) \
    case DPL_E##name:            \
        return "DPL_E" #name;
        DPL_ERROR_MAP(DPL__ERR_NAME)
#undef DPL__ERR_NAME
    default:
        return "unknown";
    }
}

const char *dpl_strerror(int err)
{
    switch (err) {
    case DPL_OK:
        return "success";
#define DPL__ERR_MSG(name, msg) \
    case DPL_E##name:           \
        return msg;
        DPL_ERROR_MAP(DPL__ERR_MSG)
#undef DPL__ERR_MSG
    default:
        return "unknown error";
    }
}
