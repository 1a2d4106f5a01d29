#ifndef TOKENVAULT_CPOSTGRES_SHIM_H
#define TOKENVAULT_CPOSTGRES_SHIM_H
#include <dlfcn.h>
#include <stddef.h>

/* libpq is loaded with dlopen when a PostgreSQL vault is first used, not linked: a file vault's
   users never load it (nor the TLS, Kerberos and LDAP libraries it pulls in), and need neither it
   nor its headers to build. These are the few functions TokenVault calls, with the prototypes of
   <libpq-fe.h> (a stable ABI since libpq.so.5). Enumerations are passed as the ints they are. */
typedef struct pg_conn tokenvault_pg_conn;
typedef struct pg_result tokenvault_pg_result;
typedef void (*tokenvault_pg_notice_processor)(void *context, const char *message);

typedef struct {
    char *keyword;
    char *envvar;
    char *compiled;
    char *val;
    char *label;
    char *dispchar;
    int dispsize;
} tokenvault_pg_conninfo_option;

/* ConnStatusType CONNECTION_OK, ExecStatusType PGRES_COMMAND_OK and PGRES_TUPLES_OK. */
enum { TOKENVAULT_PG_CONNECTION_OK = 0, TOKENVAULT_PG_COMMAND_OK = 1, TOKENVAULT_PG_TUPLES_OK = 2 };
/* PG_DIAG_SQLSTATE */
enum { TOKENVAULT_PG_DIAG_SQLSTATE = 'C' };

typedef struct {
    tokenvault_pg_conn *(*connectdb_params)(const char *const *keywords, const char *const *values, int expand_dbname);
    int (*status)(const tokenvault_pg_conn *connection);
    char *(*error_message)(const tokenvault_pg_conn *connection);
    void (*finish)(tokenvault_pg_conn *connection);
    tokenvault_pg_result *(*exec_params)(tokenvault_pg_conn *connection, const char *command, int count,
                                         const unsigned int *types, const char *const *values, const int *lengths,
                                         const int *formats, int result_format);
    int (*result_status)(const tokenvault_pg_result *result);
    char *(*result_error_field)(const tokenvault_pg_result *result, int field);
    char *(*result_error_message)(const tokenvault_pg_result *result);
    int (*ntuples)(const tokenvault_pg_result *result);
    int (*nfields)(const tokenvault_pg_result *result);
    char *(*getvalue)(const tokenvault_pg_result *result, int row, int column);
    int (*getlength)(const tokenvault_pg_result *result, int row, int column);
    int (*getisnull)(const tokenvault_pg_result *result, int row, int column);
    char *(*cmd_tuples)(tokenvault_pg_result *result);
    void (*clear)(tokenvault_pg_result *result);
    tokenvault_pg_notice_processor (*set_notice_processor)(tokenvault_pg_conn *connection,
                                                           tokenvault_pg_notice_processor processor, void *context);
    tokenvault_pg_conninfo_option *(*conninfo_parse)(const char *conninfo, char **error);
    tokenvault_pg_conninfo_option *(*conninfo)(tokenvault_pg_conn *connection);
    void (*conninfo_free)(tokenvault_pg_conninfo_option *options);
    void (*freemem)(void *pointer);
    int (*ssl_in_use)(const tokenvault_pg_conn *connection);
    int (*lib_version)(void);
} tokenvault_pg_api;

/* Loads `soname` and fills `api`; 0 on success, -1 with dlerror() set otherwise. The library
   stays loaded for the life of the process. */
static inline int tokenvault_pg_load(const char *soname, tokenvault_pg_api *api) {
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return -1;
#define TOKENVAULT_PG_LOOKUP(field, symbol) \
    if ((*(void **)&api->field = dlsym(library, symbol)) == NULL) return -1;
    TOKENVAULT_PG_LOOKUP(connectdb_params, "PQconnectdbParams")
    TOKENVAULT_PG_LOOKUP(status, "PQstatus")
    TOKENVAULT_PG_LOOKUP(error_message, "PQerrorMessage")
    TOKENVAULT_PG_LOOKUP(finish, "PQfinish")
    TOKENVAULT_PG_LOOKUP(exec_params, "PQexecParams")
    TOKENVAULT_PG_LOOKUP(result_status, "PQresultStatus")
    TOKENVAULT_PG_LOOKUP(result_error_field, "PQresultErrorField")
    TOKENVAULT_PG_LOOKUP(result_error_message, "PQresultErrorMessage")
    TOKENVAULT_PG_LOOKUP(ntuples, "PQntuples")
    TOKENVAULT_PG_LOOKUP(nfields, "PQnfields")
    TOKENVAULT_PG_LOOKUP(getvalue, "PQgetvalue")
    TOKENVAULT_PG_LOOKUP(getlength, "PQgetlength")
    TOKENVAULT_PG_LOOKUP(getisnull, "PQgetisnull")
    TOKENVAULT_PG_LOOKUP(cmd_tuples, "PQcmdTuples")
    TOKENVAULT_PG_LOOKUP(clear, "PQclear")
    TOKENVAULT_PG_LOOKUP(set_notice_processor, "PQsetNoticeProcessor")
    TOKENVAULT_PG_LOOKUP(conninfo_parse, "PQconninfoParse")
    TOKENVAULT_PG_LOOKUP(conninfo, "PQconninfo")
    TOKENVAULT_PG_LOOKUP(conninfo_free, "PQconninfoFree")
    TOKENVAULT_PG_LOOKUP(freemem, "PQfreemem")
    TOKENVAULT_PG_LOOKUP(ssl_in_use, "PQsslInUse")
    TOKENVAULT_PG_LOOKUP(lib_version, "PQlibVersion")
#undef TOKENVAULT_PG_LOOKUP
    return 0;
}

/* Notices (`CREATE TABLE IF NOT EXISTS` skipping, …) would go to stderr by default. */
static inline void tokenvault_pg_ignore_notice(void *context, const char *message) {
    (void)context;
    (void)message;
}

#endif
