{
  "variables": {
    "core_sources": [
      "core/histogram.c", "core/payload.c", "core/sysutil.c", "core/registry.c", "core/base64.c",
      "transports/fdstream.c", "transports/shm.c", "transports/binder.c",
      "transports/kdbus.c", "transports/varlink.c", "transports/zeromq.c", "transports/iceoryx.c",
      "workloads/rpc.c", "workloads/broadcast.c"
    ],
    "warnings": ["-Wall", "-Wextra", "-O2", "-g"],
    # D-Bus clients are optional: built only where their -dev packages are installed, so that the
    # build still succeeds without them (native/core/registry.c lists them under the same defines).
    "have_sdbus%": "<!(pkg-config --exists libsystemd && echo 1 || echo 0)",
    "have_libdbus%": "<!(pkg-config --exists dbus-1 && echo 1 || echo 0)",
    # zeromq.c / iceoryx.c compile to an "unavailable" stub without their headers. Debian's iceoryx ships no
    # pkg-config file (only CMake), so its versioned include directory is looked up instead.
    "have_zmq%": "<!(pkg-config --exists libzmq && echo 1 || echo 0)",
    "iceoryx_inc%": "<!(sh -c 'ls -d /usr/include/iceoryx/v*/ 2>/dev/null | sort -V | tail -1')",
    "have_iceoryx%": "<!(sh -c 'ls -d /usr/include/iceoryx/v*/iceoryx_binding_c 2>/dev/null | grep -q . && echo 1 || echo 0')"
  },
  "targets": [
    {
      "target_name": "ipcbench_native",
      "sources": ["addon/addon.cc", "<@(core_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags": ["<@(warnings)"],
      "cflags_c": ["-std=gnu11"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc": ["<@(warnings)", "-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "libraries": ["-lpthread", "-lm"],
      "conditions": [
        ["have_zmq==1", {
          "defines": ["HAVE_ZMQ"],
          "cflags": ["<!@(pkg-config --cflags libzmq)"],
          "libraries": ["<!@(pkg-config --libs libzmq)"]
        }],
        ["have_iceoryx==1", {
          "defines": ["HAVE_ICEORYX"],
          "cflags": ["-isystem", "<(iceoryx_inc)"],
          "libraries": ["-liceoryx_binding_c"]
        }],
        ["have_sdbus==1", {
          "sources": ["transports/dbus-sdbus.c"],
          "defines": ["HAVE_SDBUS"],
          "cflags": ["<!@(pkg-config --cflags libsystemd)"],
          "libraries": ["<!@(pkg-config --libs libsystemd)"]
        }],
        ["have_libdbus==1", {
          "sources": ["transports/dbus-libdbus.c"],
          "defines": ["HAVE_LIBDBUS"],
          "cflags": ["<!@(pkg-config --cflags dbus-1)"],
          "libraries": ["<!@(pkg-config --libs dbus-1)"]
        }]
      ]
    },
    {
      "target_name": "ipcbench-peer",
      "type": "executable",
      "sources": ["peer/peer.c", "<@(core_sources)"],
      "cflags": ["<@(warnings)"],
      "cflags_c": ["-std=gnu11"],
      "libraries": ["-lpthread", "-lm"],
      "conditions": [
        ["have_zmq==1", {
          "defines": ["HAVE_ZMQ"],
          "cflags": ["<!@(pkg-config --cflags libzmq)"],
          "libraries": ["<!@(pkg-config --libs libzmq)"]
        }],
        ["have_iceoryx==1", {
          "defines": ["HAVE_ICEORYX"],
          "cflags": ["-isystem", "<(iceoryx_inc)"],
          "libraries": ["-liceoryx_binding_c"]
        }],
        ["have_sdbus==1", {
          "sources": ["transports/dbus-sdbus.c"],
          "defines": ["HAVE_SDBUS"],
          "cflags": ["<!@(pkg-config --cflags libsystemd)"],
          "libraries": ["<!@(pkg-config --libs libsystemd)"]
        }],
        ["have_libdbus==1", {
          "sources": ["transports/dbus-libdbus.c"],
          "defines": ["HAVE_LIBDBUS"],
          "cflags": ["<!@(pkg-config --cflags dbus-1)"],
          "libraries": ["<!@(pkg-config --libs dbus-1)"]
        }]
      ]
    },
    {
      "target_name": "ipcbench-bus-launch",
      "type": "executable",
      "sources": ["tools/bus-launch.c"],
      "cflags": ["<@(warnings)"],
      "cflags_c": ["-std=gnu11"],
      "conditions": [
        ["have_sdbus==1", {
          "defines": ["HAVE_SDBUS"],
          "cflags": ["<!@(pkg-config --cflags libsystemd)"],
          "libraries": ["<!@(pkg-config --libs libsystemd)"]
        }]
      ]
    },
    {
      "target_name": "ipcbench-pingpong",
      "type": "executable",
      "sources": ["minimal/pingpong.c"],
      "cflags": ["<@(warnings)"],
      "cflags_c": ["-std=gnu11"]
    }
  ],
  "conditions": [
    # the minimal sd-bus client of the harness-overhead benchmark (scripts/dbus-bench) exists only with sd-bus
    ["have_sdbus==1", {
      "targets": [
        {
          "target_name": "ipcbench-sdbus-pingpong",
          "type": "executable",
          "sources": ["tools/sdbus-pingpong.c"],
          "cflags": ["<@(warnings)", "<!@(pkg-config --cflags libsystemd)"],
          "cflags_c": ["-std=gnu11"],
          "libraries": ["<!@(pkg-config --libs libsystemd)"]
        }
      ]
    }]
  ]
}
