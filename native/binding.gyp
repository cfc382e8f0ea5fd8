{
  "variables": {
    "core_sources": [
      "core/histogram.c", "core/payload.c", "core/sysutil.c", "core/registry.c", "core/base64.c", "core/plugin.c",
      "workloads/rpc.c", "workloads/broadcast.c", "workloads/run.c",
      # every native/transports/*.c whose pkg-config packages exist, plus a generated file registering the
      # others as unavailable: adding a transport adds a file there and nothing here (tools/transports.mjs)
      "<!@(node tools/transports.mjs sources)"
    ],
    "transport_cflags": ["<!@(node tools/transports.mjs cflags)"],
    "transport_libs": ["<!@(node tools/transports.mjs libs)"],
    # CI=true: warnings fail the build
    "warnings": ["-Wall", "-Wextra", "-O2", "-g", "<!@(node tools/transports.mjs werror)"],
    # the bus launcher and the minimal sd-bus client are tools, not transports: built with sd-bus when present
    "have_sdbus%": "<!(pkg-config --exists libsystemd && echo 1 || echo 0)"
  },
  "targets": [
    {
      "target_name": "ipcbench_native",
      "sources": ["addon/addon.cc", "<@(core_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "include"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags": ["<@(warnings)", "<@(transport_cflags)"],
      "cflags_c": ["-std=gnu11"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc": ["<@(warnings)", "-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "libraries": ["-lpthread", "-lm", "-ldl", "<@(transport_libs)"]
    },
    {
      "target_name": "ipcbench-peer",
      "type": "executable",
      "sources": ["peer/peer.c", "<@(core_sources)"],
      "include_dirs": ["include"],
      "cflags": ["<@(warnings)", "<@(transport_cflags)"],
      "cflags_c": ["-std=gnu11"],
      "libraries": ["-lpthread", "-lm", "-ldl", "<@(transport_libs)"]
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
