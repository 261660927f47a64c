// Package figures draws cltrain's pictures: the training loss curve and the
// decision boundary of a model trained on 2-feature data.
//
// Layout: examples are columns; X is (2, m) and Y is (1, m) with labels 0 or 1,
// both gonum *mat.Dense in row-major order.
//
// Every picture is written atomically (a temporary file in the destination
// folder, then a rename), so an interrupted run never leaves a truncated file.
// The file extension chooses the format: .png, .svg or .pdf.
package figures
