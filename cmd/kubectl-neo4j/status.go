package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// clusterStatus is what status prints of one cluster.
type clusterStatus struct {
	Namespace    string                    `json:"namespace"`
	Name         string                    `json:"name"`
	Phase        string                    `json:"phase"`
	Ready        string                    `json:"ready"`
	Conditions   []metav1.Condition        `json:"conditions,omitempty"`
	Servers      []v1alpha1.ServerStatus   `json:"servers,omitempty"`
	Rollout      *v1alpha1.RolloutStatus   `json:"rollout,omitempty"`
	Scaling      *v1alpha1.ScalingStatus   `json:"scaling,omitempty"`
	StatefulSets []statefulSetStatus       `json:"statefulSets"`
	Pods         []podStatus               `json:"pods"`
	TLS          *v1alpha1.TLSStatus       `json:"tls,omitempty"`
	Endpoints    v1alpha1.Endpoints        `json:"endpoints"`
	Databases    []v1alpha1.DatabaseStatus `json:"databases,omitempty"`
	Access       []accessStatus            `json:"access,omitempty"`
}

// accessStatus is one Neo4jUser or Neo4jRole of the cluster.
type accessStatus struct {
	Kind   string `json:"kind"`
	Object string `json:"object"`
	Name   string `json:"name"`
	Ready  string `json:"ready"`
	Synced string `json:"synced"`
	// Detail: a user's roles, a role's privileges and drift counts.
	Detail string `json:"detail,omitempty"`
}

type statefulSetStatus struct {
	Name            string `json:"name"`
	Replicas        int32  `json:"replicas"`
	Ready           int32  `json:"ready"`
	CurrentRevision string `json:"currentRevision"`
	UpdateRevision  string `json:"updateRevision"`
	Revisions       int    `json:"revisions"`
}

type podStatus struct {
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Ready    bool   `json:"ready"`
	Restarts int32  `json:"restarts"`
	Age      string `json:"age"`
	Revision string `json:"revision"`
}

func newStatus(flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "A Neo4jEnterpriseCluster's phase, conditions, servers, roll, StatefulSet revisions, pods, users and roles",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := clientFor(flags)
			if err != nil {
				return err
			}
			var clusters []v1alpha1.Neo4jEnterpriseCluster
			if len(args) == 1 {
				one := v1alpha1.Neo4jEnterpriseCluster{}
				if err := c.Get(cmd.Context(), client.ObjectKey{Namespace: ns, Name: args[0]}, &one); err != nil {
					return err
				}
				clusters = append(clusters, one)
			} else {
				list := &v1alpha1.Neo4jEnterpriseClusterList{}
				if err := c.List(cmd.Context(), list, client.InNamespace(ns)); err != nil {
					return err
				}
				clusters = list.Items
			}
			var out []clusterStatus
			for i := range clusters {
				s, err := describe(cmd.Context(), c, &clusters[i], time.Now())
				if err != nil {
					return err
				}
				out = append(out, s)
			}
			return printStatus(streams.Out, out, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or yaml.")
	return cmd
}

// describe reads a cluster's StatefulSets, their revisions and pods.
func describe(ctx context.Context, c client.Client, cl *v1alpha1.Neo4jEnterpriseCluster, now time.Time) (clusterStatus, error) {
	st := clusterStatus{Namespace: cl.Namespace, Name: cl.Name, Phase: string(cl.Status.Phase), Ready: cl.Status.ReadyServers,
		Conditions: cl.Status.Conditions, Servers: cl.Status.Servers, Rollout: cl.Status.Rollout, Scaling: cl.Status.Scaling,
		TLS: cl.Status.TLS, Endpoints: cl.Status.Endpoints, Databases: cl.Status.Databases}
	revs := &appsv1.ControllerRevisionList{}
	if err := c.List(ctx, revs, client.InNamespace(cl.Namespace)); err != nil {
		return st, err
	}
	for _, role := range render.Roles(cl.WithDefaults()) {
		sts := &appsv1.StatefulSet{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: cl.Namespace, Name: render.StatefulSetName(cl, role)}, sts); err != nil {
			if client.IgnoreNotFound(err) == nil {
				continue
			}
			return st, err
		}
		n := 0
		for _, r := range revs.Items {
			if metav1.IsControlledBy(&r, sts) {
				n++
			}
		}
		st.StatefulSets = append(st.StatefulSets, statefulSetStatus{Name: sts.Name, Replicas: sts.Status.Replicas, Ready: sts.Status.ReadyReplicas,
			CurrentRevision: sts.Status.CurrentRevision, UpdateRevision: sts.Status.UpdateRevision, Revisions: n})
	}
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods, client.InNamespace(cl.Namespace), client.MatchingLabels{render.LabelCluster: cl.Name}); err != nil {
		return st, err
	}
	for _, p := range pods.Items {
		ps := podStatus{Name: p.Name, Phase: string(p.Status.Phase), Revision: p.Labels[appsv1.ControllerRevisionHashLabelKey],
			Age: age(now.Sub(p.CreationTimestamp.Time))}
		for _, cs := range p.Status.ContainerStatuses {
			ps.Restarts += cs.RestartCount
		}
		for _, cond := range p.Status.Conditions {
			ps.Ready = ps.Ready || (cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue)
		}
		st.Pods = append(st.Pods, ps)
	}
	var err error
	st.Access, err = access(ctx, c, cl)
	return st, err
}

// access lists the cluster's Neo4jUsers and Neo4jRoles and their state.
func access(ctx context.Context, c client.Client, cl *v1alpha1.Neo4jEnterpriseCluster) ([]accessStatus, error) {
	roles := &v1alpha1.Neo4jRoleList{}
	if err := c.List(ctx, roles, client.InNamespace(cl.Namespace)); err != nil {
		return nil, err
	}
	var out []accessStatus
	for _, r := range roles.Items {
		if r.Spec.ClusterRef.Name == cl.Name {
			out = append(out, accessRow("role", r.Name, r.Spec.Name, r.Status.Conditions,
				fmt.Sprintf("%d privileges, %d drift", len(r.Status.Privileges), len(r.Status.Drift))))
		}
	}
	users := &v1alpha1.Neo4jUserList{}
	if err := c.List(ctx, users, client.InNamespace(cl.Namespace)); err != nil {
		return nil, err
	}
	for _, u := range users.Items {
		if u.Spec.ClusterRef.Name == cl.Name {
			detail := "roles: " + strings.Join(u.Spec.Roles, ",")
			if u.Spec.Suspended {
				detail += "; suspended"
			}
			out = append(out, accessRow("user", u.Name, u.Spec.Username, u.Status.Conditions, detail))
		}
	}
	return out, nil
}

func accessRow(kind, object, name string, conds []metav1.Condition, detail string) accessStatus {
	row := accessStatus{Kind: kind, Object: object, Name: name, Ready: "Unknown", Synced: "Unknown", Detail: detail}
	for _, c := range conds {
		switch c.Type {
		case v1alpha1.ConditionReady:
			row.Ready = string(c.Status)
		case v1alpha1.ConditionSynced:
			row.Synced = c.Reason
		}
	}
	return row
}

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func printStatus(w io.Writer, out []clusterStatus, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "yaml":
		b, err := yaml.Marshal(out)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "table", "":
	default:
		return fmt.Errorf("-o %s: want table, json or yaml", format)
	}
	for i, s := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		printTable(w, s)
	}
	return nil
}

func printTable(w io.Writer, s clusterStatus) {
	fmt.Fprintf(w, "Cluster %s/%s: %s, %s servers ready\n", s.Namespace, s.Name, s.Phase, s.Ready)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONDITION\tSTATUS\tREASON\tMESSAGE")
	for _, c := range s.Conditions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, c.Message)
	}
	tw.Flush()
	if r := s.Rollout; r != nil {
		fmt.Fprintf(w, "Rolling: %s (%s), %d done, %d pending; %s\n", r.Pod, r.Step, len(r.Done), len(r.Pending), r.Gate)
	}
	if sc := s.Scaling; sc != nil {
		fmt.Fprintf(w, "Scaling %s: %s, step %s\n", sc.Direction, strings.Join(sc.Servers, ", "), sc.Step)
	}
	if len(s.Servers) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVER\tPOD\tSTATE\tHEALTH\tHOSTING")
		for _, sv := range s.Servers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", sv.Name, sv.Pod, sv.State, sv.Health, strings.Join(sv.Hosting, ","))
		}
		tw.Flush()
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATEFULSET\tREADY\tCURRENT REVISION\tUPDATE REVISION\tREVISIONS")
	for _, st := range s.StatefulSets {
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%d\n", st.Name, st.Ready, st.Replicas, st.CurrentRevision, st.UpdateRevision, st.Revisions)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POD\tREADY\tPHASE\tRESTARTS\tAGE\tREVISION")
	for _, p := range s.Pods {
		fmt.Fprintf(tw, "%s\t%v\t%s\t%d\t%s\t%s\n", p.Name, p.Ready, p.Phase, p.Restarts, p.Age, p.Revision)
	}
	tw.Flush()
	if len(s.Access) == 0 {
		return
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCESS\tOBJECT\tNAME\tREADY\tSYNCED\tDETAIL")
	for _, a := range s.Access {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Kind, a.Object, a.Name, a.Ready, a.Synced, a.Detail)
	}
	tw.Flush()
}
