{{- define "app.name" -}}widget-{{ .Release.Name }}{{- end -}}
