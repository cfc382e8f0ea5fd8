// SPDX-License-Identifier: MIT
/*
 * N-API glue only (sharp's pattern): arguments were validated in TypeScript
 * (bench/native.ts); here they are copied into plain C structs, handed to
 * native/workloads (rpc_run_channels, broadcast_run) from an AsyncWorker,
 * and a plain record comes back.  A channel keeps what prepare() was told
 * (its message size, its subscribers): the run calls do not repeat it.
 * Measurement failures are part of the record (error + reason), never
 * exceptions; exceptions mean misuse of the API.
 */
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" {
#include "../core/histogram.h"
#include "../core/payload.h"
#include "../core/sysutil.h"
#include "../core/transport.h"
#include "../core/plugin.h"
#include "../workloads/workloads.h"
}
#include <ipcbench/transport-plugin.h>

namespace
{

struct Channel {
	const transport_ops *ops = nullptr;
	tp_conn *conn = nullptr;
	tp_params params{};
	std::string address;
	std::vector<tp_peer_fds> peers;
	ack_board *board = nullptr;
	volatile int abort_flag = 0;
	int connected = 0;
	bool busy = false;
};

std::mutex table_lock;
std::map<int, Channel *> channels;
int next_handle = 1;

Channel *lookup(Napi::Env env, const Napi::Value &v)
{
	std::lock_guard<std::mutex> g(table_lock);
	auto it = channels.find(v.As<Napi::Number>().Int32Value());

	if (it == channels.end())
		throw Napi::Error::New(
			env, "ipcbench native: unknown channel handle");
	return it->second;
}

void close_peer_fds(Channel *ch)
{
	for (auto &p : ch->peers) {
		for (int i = 0; i < p.n; i++)
			if (p.fds[i] >= 0)
				close(p.fds[i]);
		p.n = 0;
	}
}

uint64_t num64(const Napi::Object &o, const char *key, uint64_t def)
{
	Napi::Value v = o.Get(key);

	if (v.IsUndefined())
		return def;
	return (uint64_t)v.As<Napi::Number>().DoubleValue();
}

/* transports() -> [{name, variants[], broadcast, limits{}, unavailable?}] */
Napi::Value Transports(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	Napi::Array out = Napi::Array::New(env);
	size_t n;
	const transport_ops *const *all = transport_all(&n);

	for (size_t i = 0; i < n; i++) {
		const transport_ops *t = all[i];
		Napi::Object o = Napi::Object::New(env);
		Napi::Array variants = Napi::Array::New(env);
		Napi::Object limits = Napi::Object::New(env);

		for (uint32_t k = 0; t->variants && t->variants[k]; k++)
			variants.Set(k, t->variants[k]);
		for (const tp_limit *l = t->limits; l && l->name; l++)
			limits.Set(l->name, (double)l->value);
		o.Set("name", t->name);
		o.Set("variants", variants);
		o.Set("broadcast", t->publish != nullptr);
		o.Set("limits", limits);
		if (t->unavailable) {
			o.Set("unavailable", t->unavailable);
		} else if (t->probe) {
			/* a kernel feature that may be switched off here */
			char err[TP_ERR_LEN] = "";
			int rc = t->probe(err);

			if (rc)
				o.Set("unavailable",
				      err[0] ? err : strerror(-rc));
		}
		out.Set((uint32_t)i, o);
	}
	return out;
}

/* loadPlugin(path, name) -> {name, version, description, rpc, broadcast}:
 * dlopen() a transport plug-in, check its ABI version and operations, and
 * register it as `name` (the peer loads the same file under the same name). */
Napi::Value LoadPlugin(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	std::string path = info[0].As<Napi::String>().Utf8Value();
	std::string name = info[1].As<Napi::String>().Utf8Value();
	char err[TP_ERR_LEN] = "";
	const transport_ops *ops = plugin_load(path.c_str(), name.c_str(), err);

	if (!ops)
		throw Napi::Error::New(env, err);
	const struct ipcbench_transport_plugin *pl = plugin_info(ops);
	Napi::Object o = Napi::Object::New(env);
	o.Set("name", ops->name);
	o.Set("pluginName", pl->name ? pl->name : "");
	o.Set("version", pl->version ? pl->version : "");
	o.Set("description", pl->description ? pl->description : "");
	o.Set("rpc", ops->call != nullptr);
	o.Set("broadcast", ops->publish != nullptr);
	o.Set("abi", (double)pl->abi_version);
	return o;
}

/* prepare({transport, variant?, maxMsg, subscribers?, address?})
 *   -> {handle, peers: number[][]} */
Napi::Value Prepare(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	Napi::Object o = info[0].As<Napi::Object>();
	std::string name = o.Get("transport").As<Napi::String>().Utf8Value();
	const transport_ops *ops = transport_find(name.c_str());
	char err[TP_ERR_LEN] = "";

	if (!ops)
		throw Napi::Error::New(env,
				       "unknown native transport: " + name);
	if (ops->unavailable)
		throw Napi::Error::New(env, name + ": " + ops->unavailable);
	std::string variant =
		o.Get("variant").IsString()
			? o.Get("variant").As<Napi::String>().Utf8Value()
			: "";
	int vi = transport_variant(ops, variant.c_str());
	if (vi < 0)
		throw Napi::Error::New(env,
				       name + ": no variant '" + variant + "'");
	Channel *ch = new Channel();
	ch->ops = ops;
	ch->params.max_msg = num64(o, "maxMsg", 0);
	ch->params.variant = (unsigned)vi;
	ch->params.subscribers = (unsigned)num64(o, "subscribers", 0);
	ch->params.abort = &ch->abort_flag;
	if (o.Get("address").IsString()) {
		ch->address = o.Get("address").As<Napi::String>().Utf8Value();
		ch->params.address = ch->address.c_str();
	}
	unsigned npeers = ch->params.subscribers ? ch->params.subscribers : 1;
	ch->peers.resize(npeers);
	for (auto &p : ch->peers) {
		p.n = 0;
		for (int &fd : p.fds)
			fd = -1;
	}
	int rc = ops->prepare(&ch->params, &ch->conn, ch->peers.data(), err);
	if (rc) {
		delete ch;
		Napi::Error e = Napi::Error::New(
			env, std::string(name) + ": " +
				     (err[0] ? err : strerror(-rc)));
		e.Set("errno", Napi::Number::New(env, -rc));
		throw e;
	}
	if (ch->params.subscribers) {
		/* the ack board goes last in every subscriber's fd list */
		int fd;

		rc = ack_board_create(ch->params.subscribers, &ch->board, &fd);
		if (rc) {
			close_peer_fds(ch);
			ops->close(ch->conn);
			delete ch;
			throw Napi::Error::New(env, std::string("ack board: ") +
							    strerror(-rc));
		}
		for (auto &p : ch->peers)
			p.fds[p.n++] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		close(fd);
	}
	int handle;
	{
		std::lock_guard<std::mutex> g(table_lock);
		handle = next_handle++;
		channels[handle] = ch;
	}
	Napi::Object out = Napi::Object::New(env);
	Napi::Array peers = Napi::Array::New(env);
	for (uint32_t i = 0; i < ch->peers.size(); i++) {
		Napi::Array fds = Napi::Array::New(env);

		for (int k = 0; k < ch->peers[i].n; k++)
			fds.Set((uint32_t)k, ch->peers[i].fds[k]);
		peers.Set(i, fds);
	}
	out.Set("handle", handle);
	out.Set("peers", peers);
	return out;
}

Napi::Value ClosePeerFds(const Napi::CallbackInfo &info)
{
	close_peer_fds(lookup(info.Env(), info[0]));
	return info.Env().Undefined();
}

Napi::Value Abort(const Napi::CallbackInfo &info)
{
	Channel *ch = lookup(info.Env(), info[0]);

	__atomic_store_n(&ch->abort_flag, 1, __ATOMIC_SEQ_CST);
	return info.Env().Undefined();
}

Napi::Value Release(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	Channel *ch = lookup(env, info[0]);

	if (ch->busy)
		throw Napi::Error::New(
			env, "ipcbench native: channel is still running");
	{
		std::lock_guard<std::mutex> g(table_lock);
		channels.erase(info[0].As<Napi::Number>().Int32Value());
	}
	close_peer_fds(ch);
	if (ch->conn)
		ch->ops->close(ch->conn);
	ack_board_destroy(ch->board, ch->params.subscribers);
	delete ch;
	return env.Undefined();
}

struct Summary {
	int64_t min, p50, p90, p99, p999, max;
	double mean;
	int64_t count;
	std::vector<uint8_t> encoded;
};

void summarize(const histogram *h, Summary *s)
{
	s->count = h->total;
	s->min = histogram_min(h);
	s->p50 = histogram_percentile(h, 50);
	s->p90 = histogram_percentile(h, 90);
	s->p99 = histogram_percentile(h, 99);
	s->p999 = histogram_percentile(h, 99.9);
	s->max = histogram_max(h);
	s->mean = histogram_mean(h);
	s->encoded.resize(histogram_encoded_max(h));
	long n = histogram_encode(h, s->encoded.data(), s->encoded.size());
	s->encoded.resize(n > 0 ? (size_t)n : 0);
}

Napi::Object summary_js(Napi::Env env, const Summary &s)
{
	Napi::Object o = Napi::Object::New(env);

	o.Set("count", (double)s.count);
	o.Set("min", (double)s.min);
	o.Set("p50", (double)s.p50);
	o.Set("p90", (double)s.p90);
	o.Set("p99", (double)s.p99);
	o.Set("p999", (double)s.p999);
	o.Set("max", (double)s.max);
	o.Set("mean", s.mean);
	o.Set("encoded", Napi::Buffer<uint8_t>::Copy(env, s.encoded.data(),
						     s.encoded.size()));
	return o;
}

Napi::Object usage_js(Napi::Env env, const cpu_usage &u)
{
	Napi::Object o = Napi::Object::New(env);

	o.Set("userNs", (double)u.user_ns);
	o.Set("sysNs", (double)u.sys_ns);
	o.Set("vcsw", (double)u.vcsw);
	o.Set("ivcsw", (double)u.ivcsw);
	return o;
}

/* ---- RPC: native/workloads runs one pinned client thread per channel ---- */

class RpcWorker : public Napi::AsyncWorker
{
      public:
	RpcWorker(Napi::Env env, std::vector<Channel *> chans, rpc_config cfg,
		  std::vector<int> cpus)
	    : Napi::AsyncWorker(env),
	      deferred_(Napi::Promise::Deferred::New(env)),
	      chans_(std::move(chans)), cfg_(cfg), cpus_(std::move(cpus)),
	      cpu_(chans_.size())
	{
		memset(&res_, 0, sizeof(res_));
	}
	Napi::Promise Promise()
	{
		return deferred_.Promise();
	}

	void Execute() override
	{
		std::vector<rpc_channel> rc(chans_.size());

		if (histogram_init(&res_.hist, HIST_LOWEST, HIST_HIGHEST,
				   HIST_DIGITS)) {
			SetError("out of memory");
			return;
		}
		for (size_t i = 0; i < chans_.size(); i++)
			rc[i] = { chans_[i]->ops, chans_[i]->conn,
				  chans_[i]->params.max_msg, cpus_[i],
				  chans_[i]->connected };
		int err = rpc_run_channels(rc.data(), (unsigned)rc.size(),
					   &cfg_, &res_, cpu_.data());
		for (size_t i = 0; i < chans_.size(); i++)
			chans_[i]->connected = rc[i].connected;
		if (err == -ENOMEM && !res_.error)
			SetError("out of memory");
		summarize(&res_.hist, &summary_);
		histogram_deinit(&res_.hist);
	}

	void OnOK() override
	{
		Napi::Env env = Env();
		Napi::Object o = Napi::Object::New(env);
		Napi::Array cpu = Napi::Array::New(env);

		for (uint32_t i = 0; i < chans_.size(); i++) {
			cpu.Set(i, usage_js(env, cpu_[i]));
			chans_[i]->busy = false;
		}
		o.Set("ops", (double)res_.ops);
		o.Set("bytes", (double)res_.bytes);
		o.Set("wallNs", (double)res_.wall_ns);
		o.Set("latency", summary_js(env, summary_));
		o.Set("clientCpu", cpu);
		o.Set("error", res_.error);
		o.Set("reason", std::string(res_.reason));
		deferred_.Resolve(o);
	}

	void OnError(const Napi::Error &e) override
	{
		for (auto *ch : chans_)
			ch->busy = false;
		deferred_.Reject(e.Value());
	}

      private:
	Napi::Promise::Deferred deferred_;
	std::vector<Channel *> chans_;
	rpc_config cfg_;
	std::vector<int> cpus_;
	std::vector<cpu_usage> cpu_;
	rpc_result res_;
	Summary summary_{};
};

/* runRpc(handles[], {warmupNs, durationNs, maxOps?, seed?, cpus[]}) */
Napi::Value RunRpc(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	Napi::Array handles = info[0].As<Napi::Array>();
	Napi::Object o = info[1].As<Napi::Object>();
	Napi::Array cpus = o.Get("cpus").As<Napi::Array>();
	std::vector<Channel *> chans(handles.Length());
	std::vector<int> cpu(handles.Length());
	rpc_config cfg{};

	for (uint32_t i = 0; i < handles.Length(); i++) {
		chans[i] = lookup(env, handles.Get(i));
		if (chans[i]->busy)
			throw Napi::Error::New(
				env,
				"ipcbench native: channel is already running");
		cpu[i] = cpus.Get(i).As<Napi::Number>().Int32Value();
	}
	cfg.warmup_ns = num64(o, "warmupNs", 0);
	cfg.duration_ns = num64(o, "durationNs", 0);
	cfg.max_ops = num64(o, "maxOps", 0);
	cfg.seed = num64(o, "seed", 1);
	for (auto *ch : chans)
		ch->busy = true;
	RpcWorker *w =
		new RpcWorker(env, std::move(chans), cfg, std::move(cpu));
	Napi::Promise p = w->Promise();
	w->Queue();
	return p;
}

/* ---- broadcast: the publisher on one pinned thread ---- */

class BroadcastWorker : public Napi::AsyncWorker
{
      public:
	BroadcastWorker(Napi::Env env, Channel *ch, int cpu, bcast_config cfg,
			std::vector<uint8_t> interested)
	    : Napi::AsyncWorker(env),
	      deferred_(Napi::Promise::Deferred::New(env)), ch_(ch), cpu_(cpu),
	      cfg_(cfg), interested_(std::move(interested))
	{
		memset(&res_, 0, sizeof(res_));
	}
	Napi::Promise Promise()
	{
		return deferred_.Promise();
	}

	void Execute() override
	{
		if (histogram_init(&res_.last, HIST_LOWEST, HIST_HIGHEST,
				   HIST_DIGITS) ||
		    histogram_init(&res_.publish, HIST_LOWEST, HIST_HIGHEST,
				   HIST_DIGITS)) {
			SetError("out of memory");
			return;
		}
		cfg_.interested = interested_.data();
		cfg_.abort = &ch_->abort_flag;
		broadcast_run(ch_->ops, ch_->conn, &ch_->connected, cpu_,
			      ch_->board, &cfg_, &res_);
		summarize(&res_.last, &last_);
		summarize(&res_.publish, &publish_);
		histogram_deinit(&res_.last);
		histogram_deinit(&res_.publish);
	}

	void OnOK() override
	{
		Napi::Env env = Env();
		Napi::Object o = Napi::Object::New(env);

		ch_->busy = false;
		o.Set("ops", (double)res_.ops);
		o.Set("wallNs", (double)res_.wall_ns);
		o.Set("lastSubscriber", summary_js(env, last_));
		o.Set("publishCall", summary_js(env, publish_));
		o.Set("publisherCpu", usage_js(env, res_.cpu));
		o.Set("lateSends", (double)res_.late_sends);
		o.Set("refused", (double)res_.refused);
		o.Set("error", res_.error);
		o.Set("reason", std::string(res_.reason));
		deferred_.Resolve(o);
	}

	void OnError(const Napi::Error &e) override
	{
		ch_->busy = false;
		deferred_.Reject(e.Value());
	}

      private:
	Napi::Promise::Deferred deferred_;
	Channel *ch_;
	int cpu_;
	bcast_config cfg_;
	std::vector<uint8_t> interested_;
	bcast_result res_;
	Summary last_{}, publish_{};
};

/* runBroadcast(handle, {interested[], warmupNs, durationNs, maxOps?, rate?,
 *                       seed?, cpu}) */
Napi::Value RunBroadcast(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	Channel *ch = lookup(env, info[0]);
	Napi::Object o = info[1].As<Napi::Object>();
	Napi::Array mask = o.Get("interested").As<Napi::Array>();
	std::vector<uint8_t> interested(mask.Length());
	bcast_config cfg{};

	if (ch->busy)
		throw Napi::Error::New(
			env, "ipcbench native: channel is already running");
	if (!ch->board || mask.Length() != ch->params.subscribers)
		throw Napi::Error::New(
			env,
			"ipcbench native: not a broadcast channel of that size");
	for (uint32_t i = 0; i < mask.Length(); i++)
		interested[i] = mask.Get(i).ToBoolean().Value() ? 1 : 0;
	cfg.size = ch->params.max_msg;
	cfg.subscribers = ch->params.subscribers;
	cfg.warmup_ns = num64(o, "warmupNs", 0);
	cfg.duration_ns = num64(o, "durationNs", 0);
	cfg.max_ops = num64(o, "maxOps", 0);
	cfg.rate = num64(o, "rate", 0);
	cfg.seed = num64(o, "seed", 1);
	ch->busy = true;
	BroadcastWorker *w = new BroadcastWorker(
		env, ch, o.Get("cpu").As<Napi::Number>().Int32Value(), cfg,
		std::move(interested));
	Napi::Promise p = w->Promise();
	w->Queue();
	return p;
}

/* speedProbe(cpu, rounds) -> ns: the machine's speed on that CPU now (sysutil_speed_probe) */
Napi::Value SpeedProbe(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int64_t ns =
		sysutil_speed_probe(info[0].As<Napi::Number>().Int32Value(),
				    info[1].As<Napi::Number>().Int32Value());

	if (ns < 0)
		throw Napi::Error::New(env, std::string("speed probe: ") +
						    strerror((int)-ns));
	return Napi::Number::New(env, (double)ns);
}

/* histogramFromValues(values[]) -> summary: for tests of the encoding */
Napi::Value HistogramFromValues(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	Napi::Array values = info[0].As<Napi::Array>();
	histogram h;
	Summary s;

	if (histogram_init(&h, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS))
		throw Napi::Error::New(env, "out of memory");
	for (uint32_t i = 0; i < values.Length(); i++)
		histogram_record(&h, (int64_t)values.Get(i)
					     .As<Napi::Number>()
					     .DoubleValue());
	summarize(&h, &s);
	histogram_deinit(&h);
	return summary_js(env, s);
}

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
	exports.Set("transports", Napi::Function::New(env, Transports));
	exports.Set("prepare", Napi::Function::New(env, Prepare));
	exports.Set("loadPlugin", Napi::Function::New(env, LoadPlugin));
	exports.Set("closePeerFds", Napi::Function::New(env, ClosePeerFds));
	exports.Set("abort", Napi::Function::New(env, Abort));
	exports.Set("release", Napi::Function::New(env, Release));
	exports.Set("runRpc", Napi::Function::New(env, RunRpc));
	exports.Set("runBroadcast", Napi::Function::New(env, RunBroadcast));
	exports.Set("speedProbe", Napi::Function::New(env, SpeedProbe));
	exports.Set("histogramFromValues",
		    Napi::Function::New(env, HistogramFromValues));
	exports.Set("protocol", Napi::Number::New(env, MSG_PROTOCOL));
	exports.Set("headerSize", Napi::Number::New(env, (double)MSG_HDR_SIZE));
	return exports;
}

} // namespace

NODE_API_MODULE(ipcbench_native, Init)
