$! BUILD.COM - builds newmail with DCL alone, for sites without MMS or MMK.
$!
$!   @BUILD             compile and link [.OBJ_<arch>]NEWMAIL.EXE
$!   @BUILD TEST        the same, then build and run the CUnit tests
$!   @BUILD CLEAN       delete [.OBJ_<arch>]
$!   @BUILD CONFIG      only find OpenSSL and zlib and define the process
$!                      logicals below (DESCRIP.MMS runs this from .FIRST)
$!   P2 = DEBUG         compile /DEBUG/NOOPTIMIZE and link /DEBUG
$!   P3 = RELAXED       /STANDARD=RELAXED for compilers without C99
$!
$! Architecture: HW_MODEL 1..1023 is a VAX, refused with a message;
$! otherwise ARCH_NAME (upper-cased) names the object directory
$! [.OBJ_<arch>], with no list of known architectures.
$! OpenSSL 1.1.1 or later, in C-Kermit's order: user-built (OSSL$INCLUDE),
$! VSI SSL3 (SSL3$INCLUDE), VSI SSL111 (SSL111$INCLUDE).  zlib: GNV
$! (GNV$LIBZSHR32 with GNV$ZLIB_INCLUDE) or a site LIBZ:LIBZ.OLB and LIBZ:ZLIB.H.
$! Defines the process logicals OPENSSL, NEWMAIL_ZLIB_INC, NEWMAIL_SSL_OPT
$! and NEWMAIL_ZLIB_OPT; the options files are in [.VMS].
$! The source lists are the Makefile's (tests/tools/listcheck.sh checks);
$! the VMS group replaces the POSIX one.
$!
$ on error then goto failed
$ on control_y then goto failed
$ say = "write sys$output"
$ what = f$edit(p1, "upcase,trim")
$ if what .eqs. "" then what = "ALL"
$ if what .nes. "ALL" .and. what .nes. "TEST" .and. what .nes. "CLEAN" -
     .and. what .nes. "CONFIG"
$ then
$   say "newmail: unknown target ''p1' (ALL, TEST, CLEAN or CONFIG)"
$   exit 44
$ endif
$!
$! A VAX has HW_MODEL 1..1023 (and a CPU type below 128, as OpenSSL tests):
$! both must say VAX, so a new architecture's model number cannot trip this.
$ hw_model = f$getsyi("HW_MODEL")
$ if hw_model .gt. 0 .and. hw_model .lt. 1024 .and. f$getsyi("CPU") .lt. 128
$ then
$   say "newmail: this is a VAX; newmail needs OpenVMS on Alpha, IA64 or x86-64"
$   exit 44
$ endif
$ arch = f$edit(f$getsyi("ARCH_NAME"), "upcase,trim")
$ objdir = "[.obj_" + arch + "]"
$ objdir_file = "obj_" + arch + ".dir"
$!
$ if what .eqs. "CLEAN"
$ then
$   if f$search(objdir + "*.*") .nes. "" then delete/noconfirm 'objdir'*.*;*
$   if f$search(objdir_file) .nes. "" then set protection=(o:rwed) 'objdir_file';*
$   if f$search(objdir_file) .nes. "" then delete/noconfirm 'objdir_file';*
$   say "newmail: cleaned ''objdir'"
$   exit 1
$ endif
$!
$ gosub find_ssl
$ gosub find_zlib
$ if what .eqs. "CONFIG" then exit 1
$!
$! --- source groups (same files and order as the Makefile *_SRCS)
$! BEGIN GROUPS: written by "sh tests/tools/listcheck.sh --fix" from the Makefile
$ platform_srcs = "[.platform]pl_common.c"
$ rand_srcs = "[.platform]pl_rand.c"
$ vms_srcs = "[.vms]vms_init.c,[.vms]vms_err.c,[.vms]vms_fs.c,[.vms]vms_lock.c," + -
             "[.vms]vms_time.c,[.vms]vms_log.c,[.vms]vms_cfg.c,[.vms]vms_net.c," + -
             "[.vms]vms_thread.c,[.vms]vms_proc.c,[.vms]vms_user.c,[.vms]vms_priv.c," + -
             "[.vms]vms_ctl.c,[.vms]vms_prog.c,[.vms]vms_nmbox.c,[.vms]vms_udp.c"
$ util_srcs = "[.src.util]ut_str.c,[.src.util]ut_buf.c,[.src.util]ut_code.c," + -
              "[.src.util]ut_log.c,[.src.util]ut_date.c,[.src.util]ut_ip.c"
$ net_srcs = "[.src.net]lr_read.c,[.src.net]tl_tls.c,[.src.net]nt_conn.c"
$ conf_srcs = "[.src.conf]cf_value.c,[.src.conf]cf_keys.c,[.src.conf]cf_parse.c"
$ cli_srcs = "[.src.cli]cl_cmd.c,[.src.cli]cl_config.c,[.src.cli]cl_user.c," + -
             "[.src.cli]cl_domain.c,[.src.cli]cl_deliver.c,[.src.cli]cl_store.c," + -
             "[.src.cli]cl_mbox.c,[.src.cli]cl_serve.c,[.src.cli]cl_ctl.c," + -
             "[.src.cli]cl_sendmail.c,[.src.cli]cl_queue.c,[.src.cli]cl_dns.c"
$ store_srcs = "[.src.store]st_name.c,[.src.store]st_index.c,[.src.store]st_zlib.c," + -
               "[.src.store]st_deliver.c,[.src.store]st_folder.c,[.src.store]st_lock.c," + -
               "[.src.store]st_recover.c"
$ auth_srcs = "[.src.auth]au_name.c,[.src.auth]au_rec.c,[.src.auth]au_file.c," + -
              "[.src.auth]au_db.c,[.src.auth]au_pend.c,[.src.auth]au_domain.c,[.src.auth]au_quota.c," + -
              "[.src.auth]au_cred.c,[.src.auth]au_sasl.c"
$ msg_srcs = "[.src.msg]ms_hdr.c,[.src.msg]ms_addr.c"
$ pop3_srcs = "[.src.pop3]p3_cmd.c,[.src.pop3]p3_capa.c,[.src.pop3]p3_auth.c," + -
              "[.src.pop3]p3_trans.c,[.src.pop3]p3_session.c,[.src.pop3]p3_mbox.c," + -
              "[.src.pop3]p3_native.c"
$ smtp_srcs = "[.src.smtp]sm_addr.c,[.src.smtp]sm_param.c,[.src.smtp]sm_data.c," + -
              "[.src.smtp]sm_cmd.c,[.src.smtp]sm_auth.c,[.src.smtp]sm_session.c," + -
              "[.src.smtp]sm_relay.c"
$ srv_srcs = "[.src.srv]sv_penalty.c,[.src.srv]sv_limit.c,[.src.srv]sv_listen.c," + -
             "[.src.srv]sv_setup.c,[.src.srv]sv_daemon.c,[.src.srv]sv_pop3.c," + -
             "[.src.srv]sv_smtp.c,[.src.srv]sv_ctl.c,[.src.srv]sv_queue.c"
$ alias_srcs = "[.src.alias]al_parse.c,[.src.alias]al_map.c,[.src.alias]al_resolve.c"
$ queue_srcs = "[.src.queue]qu_env.c,[.src.queue]qu_store.c,[.src.queue]qb_dsn.c," + -
               "[.src.queue]qr_plan.c,[.src.queue]qr_route.c,[.src.queue]qr_local.c," + -
               "[.src.queue]qr_job.c,[.src.queue]qr_run.c"
$ dns_srcs = "[.src.dns]dn_msg.c,[.src.dns]dn_res.c,[.src.dns]dn_mx.c"
$ smtpc_srcs = "[.src.smtpc]sc_reply.c,[.src.smtpc]sc_data.c,[.src.smtpc]sc_client.c"
$ main_srcs = "[.src.cli]nm_main.c"
$ test_main = "[.tests.unit]t_main.c"
$ test_srcs = "[.tests.unit]t_feed.c,[.tests.unit]t_util.c,[.tests.unit]t_lr.c," + -
              "[.tests.unit]t_cf.c,[.tests.unit]t_posix.c,[.tests.unit]t_rand.c," + -
              "[.tests.unit]t_auth.c,[.tests.unit]t_store.c,[.tests.unit]t_tls.c," + -
              "[.tests.unit]t_sasl.c,[.tests.unit]t_srv.c,[.tests.unit]t_pop3.c," + -
              "[.tests.unit]t_smtp.c,[.tests.unit]t_tlscli.c,[.tests.unit]t_alias.c," + -
              "[.tests.unit]t_ctl.c,[.tests.unit]t_msg.c,[.tests.unit]t_dsn.c," + -
              "[.tests.unit]t_prog.c,[.tests.unit]t_smtpc.c,[.tests.unit]t_queue.c," + -
              "[.tests.unit]t_nmbox.c,[.tests.unit]t_qrun.c,[.tests.unit]t_dns.c"
$ tool_srcs = "[.tests.tools]st_bench.c,[.tests.tools]t_stmove.c," + -
              "[.tests.tools]t_scrun.c,[.tests.tools]t_qsubmit.c"
$ bench_srcs = "[.src.bench]bn_main.c,[.src.bench]bn_conn.c,[.src.bench]bn_run.c," + -
               "[.src.bench]bn_stats.c,[.src.bench]bn_box.c,[.src.bench]bn_sys.c," + -
               "[.src.bench]bn_proc.c"
$ core_groups = "platform_srcs,rand_srcs,vms_srcs,util_srcs,net_srcs,conf_srcs," + -
                "store_srcs,auth_srcs,msg_srcs,pop3_srcs,smtp_srcs,alias_srcs,queue_srcs," + -
                "dns_srcs,smtpc_srcs,srv_srcs,cli_srcs"
$ test_groups = "test_main,test_srcs"
$! END GROUPS
$!
$! --- one qualifier string, one /DEFINE list, one /INCLUDE list
$ cstd = "C99"
$ if f$edit(p3, "upcase,trim") .eqs. "RELAXED" then cstd = "RELAXED"
$ cdbg = "/NODEBUG"
$ ldbg = "/NODEBUG/NOTRACEBACK"
$ if f$edit(p2, "upcase,trim") .eqs. "DEBUG"
$ then
$   cdbg = "/DEBUG/NOOPTIMIZE"
$   ldbg = "/DEBUG"
$ endif
$ cdefs = "_POSIX_EXIT=1,_LARGEFILE=1,_USE_STD_STAT=1,__NEW_STARLET=1,PL_VMS=1"
$ cincs = "[.platform],[.vms],[.src.util],[.src.net],[.src.conf],[.src.cli]," + -
          "[.src.store],[.src.auth],[.src.msg],[.src.pop3],[.src.smtp],[.src.srv]," + -
          "[.src.alias],[.src.queue],[.src.dns],[.src.smtpc]," + -
          "[.tests.unit],NEWMAIL_ZLIB_INC:"
$ cquals = "/NAMES=(AS_IS,SHORTENED)/PREFIX_LIBRARY_ENTRIES=ALL_ENTRIES" + -
           "/EXTERN_MODEL=STRICT_REFDEF/FLOAT=IEEE_FLOAT" + -
           "/IEEE_MODE=DENORM_RESULTS/WARNINGS=(ERRORS=IMPLICITFUNC)" + -
           "/STANDARD=" + cstd + "/REPOSITORY=" + objdir
$ cflags = cquals + cdbg + "/DEFINE=(" + cdefs + ")/INCLUDE_DIRECTORY=(" + cincs + ")"
$!
$ if f$search(objdir_file) .eqs. "" then create/directory 'objdir'
$ olb = objdir + "newmail.olb"
$ if f$search(olb) .eqs. "" then library/create/object 'olb'
$!
$ groups = core_groups
$ to_library = 1
$ gosub compile_groups
$ groups = "main_srcs"
$ to_library = 0
$ gosub compile_groups
$ say "newmail: linking ''objdir'newmail.exe"
$ main_obj = objdir + f$parse(main_srcs,,,"NAME") + ".obj"
$ link 'ldbg' /threads_enable=(upcalls,multiple_kernel_threads) -
  /executable='objdir'newmail.exe 'main_obj', -
       'olb'/library, [.vms]newmail.opt/options, -
       newmail_ssl_opt/options, newmail_zlib_opt/options
$ if what .nes. "TEST" then goto done
$!
$ if f$trnlnm("CUNIT") .eqs. "" .or. f$trnlnm("CUNIT_LIB") .eqs. ""
$ then
$   say "newmail: TEST needs CUnit: define CUNIT as the directory holding"
$   say "newmail: Basic.h and CUNIT_LIB as the CUnit object library"
$   exit 44
$ endif
$ groups = test_groups
$ to_library = 0
$ objs = ""
$ gosub compile_groups
$ say "newmail: linking ''objdir'newmail_tests.exe"
$ link 'ldbg' /threads_enable=(upcalls,multiple_kernel_threads) -
  /executable='objdir'newmail_tests.exe 'objs', -
       'olb'/library, cunit_lib/library, [.vms]newmail.opt/options, -
       newmail_ssl_opt/options, newmail_zlib_opt/options
$ run 'objdir'newmail_tests.exe
$!
$ done:
$ say "newmail: build ''what' done for ''arch'"
$ exit 1
$!
$ failed:
$ status = $status
$ say "newmail: build failed (status ''status')"
$ if f$trnlnm("HFILE") .nes. "" then close hfile
$ exit 44
$!
$! --- compile every source of the groups named in GROUPS
$! Recompiles a source when its object is missing or older.  Objects of core
$! groups go into the library; test objects are collected in OBJS.
$ compile_groups:
$ gi = 0
$ cg_group:
$   group = f$element(gi, ",", groups)
$   if group .eqs. "," then return
$   gi = gi + 1
$   list = 'group'
$   si = 0
$ cg_source:
$   src = f$element(si, ",", list)
$   if src .eqs. "," then goto cg_group
$   si = si + 1
$   if src .eqs. "" then goto cg_source
$   obj = objdir + f$parse(src,,,"NAME") + ".obj"
$   if f$type(objs) .nes. ""
$   then
$     if objs .nes. "" then objs = objs + ","
$     objs = objs + obj
$   endif
$   if f$search(src) .eqs. ""
$   then
$     say "newmail: missing source ''src'"
$     exit 44
$   endif
$   if f$search(obj) .nes. ""
$   then
$     if f$cvtime(f$file_attributes(obj, "RDT")) .ges. -
         f$cvtime(f$file_attributes(src, "RDT")) then goto cg_source
$   endif
$   say "CC ''src'"
$   cc 'cflags' /object='obj' 'src'
$   if to_library then library/replace/object 'olb' 'obj'
$   goto cg_source
$!
$! --- OpenSSL: OSSL$ (user-built), then SSL3$, then SSL111$; >= 1.1.1
$ find_ssl:
$ ssl_inc = ""
$ if f$trnlnm("OSSL$INCLUDE") .nes. ""
$ then
$   ssl_name = "user-built OpenSSL (OSSL$)"
$   ssl_inc = "OSSL$INCLUDE:[OPENSSL]"
$   ssl_opt = "[.vms]ossl.opt"
$ else
$   if f$trnlnm("SSL3$INCLUDE") .nes. ""
$   then
$     ssl_name = "VSI SSL3"
$     ssl_inc = "SSL3$INCLUDE:"
$     ssl_opt = "[.vms]ssl3.opt"
$   else
$     if f$trnlnm("SSL111$INCLUDE") .nes. ""
$     then
$       ssl_name = "VSI SSL111"
$       ssl_inc = "SSL111$INCLUDE:"
$       ssl_opt = "[.vms]ssl111.opt"
$     endif
$   endif
$ endif
$ if ssl_inc .eqs. ""
$ then
$   say "newmail: no OpenSSL found: install VSI SSL3 or SSL111, or define"
$   say "newmail: OSSL$INCLUDE for an OpenSSL 1.1.1 or 3.x you built"
$   exit 44
$ endif
$ define/nolog/process openssl 'ssl_inc'
$ ssl_opt_file = f$parse(ssl_opt)
$ define/nolog/process newmail_ssl_opt 'ssl_opt_file'
$ ssl_ver = ""
$ if f$search("OPENSSL:OPENSSLV.H") .eqs. "" then goto ssl_version_checked
$ open/read hfile openssl:opensslv.h
$ ssl_read:
$   read/end_of_file=ssl_read_done hfile line
$   if f$locate("OPENSSL_VERSION_TEXT", line) .eq. f$length(line) then goto ssl_read
$   at = f$locate("OpenSSL ", line)
$   if at .eq. f$length(line) then goto ssl_read
$   ssl_ver = f$element(0, " ", f$extract(at + 8, 40, line))
$ ssl_read_done:
$ close hfile
$ ssl_version_checked:
$ ssl_major = f$element(0, ".", ssl_ver)
$ ssl_minor = f$element(1, ".", ssl_ver)
$ ssl_patch = f$extract(0, 1, f$element(2, ".", ssl_ver))
$ ssl_ok = 0
$ if ssl_major .eqs. "1" .and. ssl_minor .eqs. "1" .and. ssl_patch .eqs. "1" then ssl_ok = 1
$ if f$length(ssl_major) .gt. 1 .or. (ssl_major .ges. "3" .and. ssl_major .les. "9") then ssl_ok = 1
$ if .not. ssl_ok
$ then
$   say "newmail: ''ssl_name' is version ""''ssl_ver'"" (from OPENSSL:OPENSSLV.H);"
$   say "newmail: newmail needs OpenSSL 1.1.1 or later"
$   exit 44
$ endif
$ say "newmail: OpenSSL ''ssl_ver' (''ssl_name'), link options ''ssl_opt'"
$ return
$!
$! --- zlib: GNV$LIBZSHR32 (GNV), then a site LIBZ:LIBZ.OLB
$ find_zlib:
$ if f$trnlnm("GNV$LIBZSHR32") .nes. "" .and. f$trnlnm("GNV$ZLIB_INCLUDE") .nes. ""
$ then
$   zlib_inc = "GNV$ZLIB_INCLUDE:"
$   zlib_opt = "[.vms]zlib_gnv.opt"
$ else
$   if f$search("LIBZ:LIBZ.OLB") .eqs. "" .or. f$search("LIBZ:ZLIB.H") .eqs. ""
$   then
$     say "newmail: no zlib found: install GNV zlib (GNV$LIBZSHR32) or define"
$     say "newmail: LIBZ as the directory holding LIBZ.OLB and ZLIB.H"
$     exit 44
$   endif
$   zlib_inc = "LIBZ:"
$   zlib_opt = "[.vms]zlib_olb.opt"
$ endif
$ define/nolog/process newmail_zlib_inc 'zlib_inc'
$ zlib_opt_file = f$parse(zlib_opt)
$ define/nolog/process newmail_zlib_opt 'zlib_opt_file'
$ say "newmail: zlib from ''zlib_inc', link options ''zlib_opt'"
$ return
